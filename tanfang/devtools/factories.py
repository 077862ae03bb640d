"""Builders of regions and users for tests and demo data."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw

from tanfang.accounts.models import User
from tanfang.core.id_numbers import make_citizen_id
from tanfang.core.roles import RegionLevel, Role
from tanfang.core.scope import Actor
from tanfang.core.time import local_today
from tanfang.elders.inputs import ElderInput
from tanfang.elders.models import Elder
from tanfang.elders.services import register_elder
from tanfang.records.services import RecordInput, submit_records, template_for
from tanfang.regions.models import Region, UserRegion
from tanfang.schedule.models import MonthDue
from tanfang.visits.models import Visit

DEFAULT_PASSWORD = "Tanfang@2026"


def ensure_region(code: str, name: str, level: RegionLevel, parent: Region | None = None) -> Region:
    """Return the region with this code, creating it (and its path) if missing."""
    path = f"{parent.path if parent else ''}{code}/"
    full_name = f"{parent.full_name if parent else ''}{name}"
    region, _ = Region.objects.get_or_create(
        code=code,
        defaults={"name": name, "level": level, "parent": parent, "path": path, "full_name": full_name},
    )
    return region


def make_user(
    username: str,
    role: Role,
    regions: Sequence[Region] = (),
    *,
    password: str = DEFAULT_PASSWORD,
    display_name: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create a user directly (no audit): for fixtures and demo set-up only."""
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        must_change_password=must_change_password,
    )
    user.set_password(password)
    user.save()
    UserRegion.objects.bulk_create([UserRegion(user=user, region=r) for r in regions])
    return user


def elder_input(
    name: str,
    village_code: str,
    *,
    birth: dt.date = dt.date(1948, 3, 15),
    sequence: int = 21,
    county_code: str | None = None,
    **values: Any,
) -> ElderInput:
    """A valid ElderInput for tests: the ID number is built from the county, birth date and sequence."""
    number = make_citizen_id(county_code or village_code[:6], birth, sequence)
    return ElderInput(name=name, id_number=number, village_code=village_code, **values)


def make_elder(actor: Actor, name: str, village_code: str, **values: Any) -> Elder:
    """Register an elder through the service, as an officer would."""
    return register_elder(actor=actor, data=elder_input(name, village_code, **values))


def routine_answers(region_path: str) -> dict[str, Any]:
    """Answers to every required item of the region's form template: each item's first option (on
    the Henan form, "no change" or "safe"), with the count or text that option asks for."""
    answers: dict[str, Any] = {}
    for item in template_for(region_path).form.items:
        if item.kind != "choice" or not item.options:
            continue
        first = item.options[0]
        answer: dict[str, Any] = {"option": first.code}
        if first.detail == "count":
            answer["count"] = 1
        elif first.detail == "text":
            answer["text"] = "—"
        answers[item.code] = answer
    return answers


def _signature() -> bytes:
    """A stroke on a white pad, as a PNG: what a signature canvas sends."""
    pad = Image.new("L", (120, 40), 255)
    ImageDraw.Draw(pad).line([(10, 30), (40, 10), (70, 30), (110, 10)], fill=0, width=3)
    out = io.BytesIO()
    pad.save(out, "PNG")
    return out.getvalue()


def record_test_visit(
    actor: Actor,
    elder: Elder,
    *,
    occurred_at: dt.datetime,
    method: str = "home",
    outcome: str = "visited",
    minutes: int | None = None,
    visitor_id: int | None = None,
    client_id: uuid.UUID | None = None,
    note: str = "",
) -> Visit:
    """Store a visit through the one write path (records.services.submit_records), as a phone or a
    data-entry clerk sends it: a routine form, the elder's missing signature explained.

    Raises the error that refused the record, like the page or the API would show it.
    """
    visited = outcome == "visited"
    data = RecordInput(
        client_id=client_id or uuid.uuid4(),
        method=method,
        occurred_at=occurred_at,
        outcome=outcome,
        answers=routine_answers(elder.region_path) if visited else {},
        minutes=minutes,
        visitor_id=visitor_id,
        note=note or ("" if visited else "测试：未见到老人"),
        elder_unsigned_reason="测试记录" if visited and method == "home" else "",
        visitor_signature=_signature() if visited and method == "home" else None,  # required of a visitor
    )
    (result,) = submit_records(actor=actor, items=[(elder, data)])
    if result.error is not None:
        raise result.error
    assert result.visit is not None
    return result.visit


def month_due(elder: Elder, month: dt.date | None = None) -> MonthDue:
    """The elder's month row (this month by default, in Asia/Shanghai); an empty one when it has none."""
    first = (month or local_today()).replace(day=1)
    return MonthDue.objects.filter(elder=elder, month=first).first() or MonthDue(elder=elder, month=first)
