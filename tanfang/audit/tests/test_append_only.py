"""The audit log only grows: no code path, and on PostgreSQL no SQL at all, changes or removes an event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent, AuditLogIsAppendOnly
from tanfang.audit.services import new_event, record_event
from tanfang.audit.tests.logs import JIANSHE, event_at

AT = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def event(tree, officer_county_north) -> AuditEvent:
    return event_at(AT, actor=officer_county_north, changes={"display_name": {"old": "甲", "new": "乙"}})


def _stored(event: AuditEvent) -> dict[str, object]:
    return dict(AuditEvent.objects.filter(pk=event.pk).values().get())


def test_a_stored_event_cannot_be_saved_again(event):
    # given
    before = _stored(event)
    event.subject_label = "改过的对象"

    # when
    with pytest.raises(AuditLogIsAppendOnly, match="审计日志只能追加"):
        event.save()

    # then
    assert _stored(event) == before


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda events, e: events.filter(pk=e.pk).update(subject_label="改"),
        lambda events, e: events.all().update(details={}),
        lambda events, e: events.filter(pk=e.pk).delete(),
        lambda events, e: events.all().delete(),
        lambda events, e: events.bulk_update([e], ["subject_label"]),
        lambda events, e: events.update_or_create(pk=e.pk, defaults={"subject_label": "改"}),
        lambda events, e: events.bulk_create(
            [AuditEvent(pk=e.pk, at=e.at, actor_label="x", action="x")],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["actor_label"],
        ),
    ],
    ids=["update one", "update all", "delete one", "delete all", "bulk_update", "update_or_create", "upsert"],
)
def test_no_queryset_method_changes_or_removes_events(event, change):
    # given
    before = list(AuditEvent.objects.values())

    # when
    with pytest.raises(AuditLogIsAppendOnly):
        change(AuditEvent.objects, event)

    # then
    assert list(AuditEvent.objects.values()) == before


def test_a_new_event_with_the_key_of_a_stored_one_is_inserted_never_written_over_it(event):
    # given an unsaved event that claims a stored event's primary key
    forged = new_event(actor=None, action=Action.USER_UPDATED, subject_label="伪造", region_path=JIANSHE)
    forged.pk = event.pk
    before = _stored(event)

    # when saved, it is an insert, which the key refuses
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()

    # then
    assert _stored(event) == before


def test_new_events_are_still_stored(tree):
    with transaction.atomic():
        created = AuditEvent.objects.create(at=AT, actor_label="system", action=Action.REGION_CREATED)
        recorded = record_event(actor=None, action=Action.REGION_RENAMED, subject=tree.wuzhi)

    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "region.created",
        "region.renamed",
    ]
    assert created.pk is not None and recorded.pk is not None


def test_deleting_an_account_that_acted_is_refused_and_its_events_stay(event, officer_county_north):
    # when
    with pytest.raises(ProtectedError), transaction.atomic():
        officer_county_north.delete()

    # then
    assert AuditEvent.objects.get(pk=event.pk).actor == officer_county_north


def test_the_database_itself_refuses_to_change_or_remove_an_event(event):
    # given
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    before = _stored(event)

    if connection.vendor == "postgresql":
        # then on PostgreSQL even raw SQL is refused, by the trigger of migration 0003
        for operation, sql in (
            ("UPDATE", f"UPDATE {table} SET subject_label = '改' WHERE id = %s"),  # noqa: S608 — a fixed table name
            ("DELETE", f"DELETE FROM {table} WHERE id = %s"),  # noqa: S608
        ):
            with (
                pytest.raises(DatabaseError, match=f"审计日志只能追加，不能修改或删除.*{operation} refused"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [event.pk])
        # and the ORM's own bulk delete, which skips the model, meets the same trigger
        with pytest.raises(DatabaseError, match="审计日志只能追加"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)
    else:
        # then on SQLite (demo and fast tests only) the model layer is what refuses
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.filter(pk=event.pk).update(subject_label="改")
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.filter(pk=event.pk).delete()

    assert _stored(event) == before


@pytest.mark.django_db(transaction=True)
def test_committed_events_stay_and_the_test_database_is_still_emptied_between_tests():
    # given an event committed for real (the flush after this test must still empty the table)
    with transaction.atomic():
        event = record_event(actor=None, action=Action.REGION_CREATED, subject_type="regions.region", subject_id="1")

    # then it is there, and stays so
    assert AuditEvent.objects.filter(pk=event.pk).count() == 1
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_recent_failed_log_ins_per_address_are_counted_from_an_index(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)

    assert constraints["audit_ip_at_idx"]["columns"] == ["ip_address", "at"]
    assert constraints["audit_ip_at_idx"]["index"] is True
