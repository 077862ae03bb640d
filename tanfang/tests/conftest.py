"""Records of the north county for the access tests: an elder, its import, visitor, pairing and visit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.crypto import field_cipher
from tanfang.devtools.factories import make_elder
from tanfang.elders.importing import preview_import
from tanfang.elders.models import ID_NUMBER_CONTEXT, Elder, ImportConflict
from tanfang.elders.tests.files import roster_csv
from tanfang.records.services import RecordInput, submit_record
from tanfang.schedule.models import RecomputeJob
from tanfang.visitors.services import VisitorInput, create_visitor, pair

# The answers every Henan form requires: all the same as last time, the house safe.
CHANGES = ("household_members", "speech", "mobility", "illness", "mental", "economy", "family_support", "daily_care")
ANSWERS: dict[str, object] = {code: "same" for code in CHANGES}  # noqa: C420 — typed as the bodies are
ANSWERS.update(housing="safe", electricity="safe", water_gas="safe")


@pytest.fixture
def north_records(tree, officer_county_north, worker_village_north):
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
        ),
    )
    conflict = ImportConflict.objects.create(
        batch=batch, line=2, elder=elder, field="name", current_value="王建国", incoming_value="王建华"
    )
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
    }


def elder_number(elder: Elder) -> str:
    return field_cipher().decrypt(bytes(elder.id_number_cipher), context=ID_NUMBER_CONTEXT)
