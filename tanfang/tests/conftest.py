"""Records of the north county for the access tests: an elder, its import, visitor, pairing and visit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction

from tanfang.alerts.duty import ShiftInput, add_shift
from tanfang.alerts.services import open_incident
from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.care.care_services import CareServiceInput, record_care_service
from tanfang.care.providers import ProviderInput, add_staff, create_provider
from tanfang.care.services import FollowUpInput, assign_follow_up, open_follow_up
from tanfang.core.crypto import field_cipher
from tanfang.devtools.factories import make_elder
from tanfang.elders.importing import preview_import
from tanfang.elders.models import ID_NUMBER_CONTEXT, Elder, ImportConflict
from tanfang.elders.tests.files import roster_csv
from tanfang.notifications.models import Notification
from tanfang.notifications.services import queue
from tanfang.records.services import RecordInput, submit_record
from tanfang.records.tests.helpers import jpeg, png
from tanfang.schedule.models import RecomputeJob
from tanfang.visitors.services import VisitorInput, create_visitor, pair

# The answers every Henan form requires: all the same as last time, the house safe.
CHANGES = ("household_members", "speech", "mobility", "illness", "mental", "economy", "family_support", "daily_care")
ANSWERS: dict[str, object] = {code: "same" for code in CHANGES}  # noqa: C420 — typed as the bodies are
ANSWERS.update(housing="safe", electricity="safe", water_gas="safe")


@pytest.fixture
def north_records(tree, officer_county_north, worker_village_north, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the visit's photo
    with transaction.atomic():
        event = record_event(actor=officer_county_north, action=Action.USER_UPDATED, subject=worker_village_north)
    elder = make_elder(officer_county_north, "王建国", "410823001001", registered_on=dt.date(2026, 1, 5))
    batch = preview_import(
        actor=officer_county_north,
        content=roster_csv([("王建国", elder_number(elder), "410823001001")]),
        file_name="台账.csv",
        source="civil_affairs",
    )
    visitor = create_visitor(
        actor=officer_county_north,
        data=VisitorInput(name="网格员王建军", kind="grid_worker", region_code="410823001001"),
    )
    pairing = pair(actor=officer_county_north, elder=elder, visitor=visitor)
    job = RecomputeJob.objects.create(region_path="410000/410800/410823/")
    visit, _ = submit_record(
        actor=officer_county_north,
        elder=elder,
        data=RecordInput(
            client_id=uuid.UUID("7d3c1b2a-0000-4000-8000-0000000000aa"),
            method="home",
            occurred_at=dt.datetime(2026, 11, 18, 10, tzinfo=dt.UTC),
            answers=ANSWERS,
            elder_unsigned_reason="不识字",
            photos=[jpeg(3)],
        ),
    )
    conflict = ImportConflict.objects.create(
        batch=batch, line=2, elder=elder, field="name", current_value="王建国", incoming_value="王建华"
    )
    # an SMS to the visitor that the provider refused: on the officers' failed-messages page
    queue(
        key="access:failed",
        recipient="13812345678",
        label="网格员王建军",
        region_path=visitor.region_path,
        body="【探访关爱】网格员王建军，王建国本月尚未探访",
        via="fake",
    )
    notification = Notification.objects.get(key="access:failed")
    Notification.objects.filter(pk=notification.pk).update(state="failed", attempts=1, last_error="号码无效")
    # an open emergency of the elder, and a duty shift of its township
    incident, _ = open_incident(actor=officer_county_north, elder_id=elder.pk, kind="fall")
    shift = add_shift(
        actor=officer_county_north,
        township=tree.mucheng,
        data=ShiftInput(
            user_id=worker_village_north.pk,
            starts_at=dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 11, 20, 20, tzinfo=dt.UTC),
        ),
    )
    # a county-wide provider with the village worker as a staff account, and a care service of the elder
    provider = create_provider(
        actor=officer_county_north,
        data=ProviderInput(
            name="武陟县颐养居家养老服务中心",
            category="elder_care",
            kinds=["daily_care", "emotional"],
            region_code="410823",
            contact_name="周敏",
            contact_phone="13812345678",
        ),
    )
    add_staff(actor=officer_county_north, provider_id=provider.pk, username=worker_village_north.username)
    care_service, _ = record_care_service(
        actor=officer_county_north,
        elder_id=elder.pk,
        data=CareServiceInput(
            served_on=dt.date(2026, 11, 18),
            content="上门助浴一次",
            server_name="周敏",
            satisfaction="satisfied",
            server_signature=png(),
        ),
    )
    # a follow-up of the elder, assigned to the village worker
    follow_up = open_follow_up(
        actor=officer_county_north, elder_id=elder.pk, data=FollowUpInput(kind="supporters", title="联系赡养人")
    )
    assign_follow_up(actor=officer_county_north, follow_up_id=follow_up.pk, user_id=worker_village_north.pk)
    return {
        "region": "410823001001",
        "user": worker_village_north.pk,
        "event": event.pk,
        "elder": elder.pk,
        "batch": batch.pk,
        "conflict": conflict.pk,
        "visitor": visitor.pk,
        "pairing": pairing.pk,
        "job": job.pk,
        "visit": visit.pk,
        "photo": visit.photos.get().pk,
        "follow_up": follow_up.pk,
        "provider": provider.pk,
        "care_service": care_service.pk,
        "incident": incident.pk,
        "shift": shift.pk,
        "township": "410823001000",
        "notification": notification.pk,
    }


def elder_number(elder: Elder) -> str:
    return field_cipher().decrypt(bytes(elder.id_number_cipher), context=ID_NUMBER_CONTEXT)
