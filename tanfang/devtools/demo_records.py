"""Demo visit records: every demo visit gets its filled-in form, and a few are flagged for review.

Answers mostly say "no change" with the odd finding; home visits check in near the elder's home,
except a few that check in far away, without a position, or submit within minutes — the
verification rules flag those exactly as they would a real visit.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from PIL import Image, ImageDraw

from tanfang.elders.models import Elder
from tanfang.records import verification
from tanfang.records.models import ReviewState, VisitRecord
from tanfang.records.services import template_for
from tanfang.regions.models import Region
from tanfang.visits.models import Method, Outcome, Visit

CENTRE = (35.09, 113.40)  # 武陟县
_NEEDS = ["希望有人帮忙买药", "需要助浴服务", "想安装扶手", "希望子女多打电话", "冬季取暖有困难", "需要上门理发"]
_SUGGESTIONS = ["联系家庭医生上门", "转介社会工作者", "申请适老化改造", "提醒子女履行赡养义务", "协助申请临时救助"]
_ILLNESSES = ["高血压", "糖尿病", "脑梗后遗症", "慢性支气管炎", "骨折"]


def _signature(rng: random.Random) -> bytes:
    image = Image.new("L", (240, 80), 255)
    draw = ImageDraw.Draw(image)
    points = [(10 + i * 22, 40 + rng.randint(-25, 25)) for i in range(10)]
    draw.line(points, fill=0, width=3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _answers(rng: random.Random, form_items: Sequence[object]) -> tuple[dict[str, dict[str, object]], list[str]]:
    answers: dict[str, dict[str, object]] = {}
    findings: list[str] = []
    for item in form_items:
        code, kind = item.code, item.kind  # type: ignore[attr-defined]
        if kind == "text":
            pool = _NEEDS if code == "needs" else _SUGGESTIONS
            if rng.random() < 0.2:
                answers[code] = {"text": rng.choice(pool)}
                if item.finding:  # type: ignore[attr-defined]
                    findings.append(code)
            continue
        options = item.options  # type: ignore[attr-defined]
        if kind == "multi":
            if rng.random() < 0.1:
                chosen = sorted({rng.choice(options).code for _ in range(rng.randint(1, 2))})
                answers[code] = {"options": [o.code for o in options if o.code in chosen]}
                if any(o.finding for o in options if o.code in chosen):
                    findings.append(code)
            continue
        option = options[0] if rng.random() < 0.85 else rng.choice(options)
        answer: dict[str, object] = {"option": option.code}
        if option.detail == "count":
            answer["count"] = rng.randint(1, 2)
        elif option.detail == "text":
            answer["text"] = rng.choice(_ILLNESSES)
        answers[code] = answer
        if option.finding:
            findings.append(code)
    return answers, findings


def seed_records(*, county: Region, seed: int) -> tuple[int, int]:
    """Give every visit of the county without a record its form; return (records, flagged)."""
    rng = random.Random(f"{seed}:records")
    visits = list(
        Visit.objects.filter(region_path__startswith=county.path, record__isnull=True)
        .select_related("elder")
        .order_by("elder_id", "occurred_at", "pk")
    )
    if not visits:
        return 0, 0
    template = template_for(county.path)
    items = template.form.items
    elders = {v.elder_id: v.elder for v in visits}
    homes: dict[int, tuple[float, float]] = {}
    for elder in elders.values():
        if elder.home_latitude is None:
            elder.home_latitude = Decimal(f"{CENTRE[0] + rng.uniform(-0.12, 0.12):.6f}")
            elder.home_longitude = Decimal(f"{CENTRE[1] + rng.uniform(-0.15, 0.15):.6f}")
        homes[elder.pk] = (float(elder.home_latitude), float(elder.home_longitude))  # type: ignore[arg-type]
    signatures = [_signature(rng) for _ in range(8)]
    numbers: dict[int, int] = defaultdict(int)
    for elder_id, top in (
        VisitRecord.objects.filter(visit__elder_id__in=list(elders), number__isnull=False)
        .values_list("visit__elder_id", "number")
        .order_by("number")
    ):
        numbers[elder_id] = max(numbers[elder_id], top or 0)
    records: list[VisitRecord] = []
    flagged = 0
    recent = max(v.day for v in visits) - dt.timedelta(days=45)
    for visit in visits:
        visited = visit.outcome == Outcome.VISITED
        home = homes[visit.elder_id]
        minutes = visit.minutes or 20
        checkin_at = visit.occurred_at
        submitted = visit.occurred_at + dt.timedelta(minutes=minutes)
        position: tuple[float, float] | None = (
            home[0] + rng.uniform(-0.0008, 0.0008),
            home[1] + rng.uniform(-0.0008, 0.0008),
        )
        if visit.method == Method.HOME and visited and rng.random() < 0.03:
            trouble = rng.choice(["far", "none", "short"])
            if trouble == "far":
                position = (home[0] + rng.choice([-1, 1]) * rng.uniform(0.02, 0.05), home[1])
            elif trouble == "none":
                position = None
            else:
                submitted = checkin_at + dt.timedelta(minutes=rng.uniform(1, 4))
        if visit.method != Method.HOME:
            position = None
        flags = verification.check(
            verification.VisitFacts(
                home_visit=visit.method == Method.HOME and visited,
                occurred_at=visit.occurred_at,
                submitted_at=submitted,
                checkin_at=checkin_at,
                position=verification.Position(*position) if position else None,
                home=verification.Position(*home),
            )
        )
        if flags:
            flagged += 1
        answers, findings = _answers(rng, items) if visited else ({}, [])
        number = None
        if visited:
            numbers[visit.elder_id] += 1
            number = numbers[visit.elder_id]
        if not flags:
            state = ReviewState.NONE
        elif visit.day >= recent:
            state = ReviewState.PENDING
        else:
            state = ReviewState.CONFIRMED
        records.append(
            VisitRecord(
                visit=visit,
                template=template,
                number=number,
                answers=answers,
                findings=findings,
                registry_confirmed=visited and rng.random() < 0.9,
                checkin_at=checkin_at,
                checkin_latitude=round(position[0], 6) if position else None,
                checkin_longitude=round(position[1], 6) if position else None,
                checkin_accuracy_m=rng.randint(5, 40) if position else None,
                submitted_at=submitted,
                visitor_signature=rng.choice(signatures) if visited else None,
                elder_signature=rng.choice(signatures) if visited and visit.method == Method.HOME else None,
                elder_unsigned_reason="" if visit.method == Method.HOME or not visited else "电话探访",
                flags=[f.as_dict() for f in flags],
                review_state=state,
                review_note="已电话回访老人核实" if state == ReviewState.CONFIRMED else "",
                region_id=visit.region_id,
                region_path=visit.region_path,
            )
        )
    with transaction.atomic():
        Elder.objects.bulk_update(list(elders.values()), ["home_latitude", "home_longitude"], batch_size=1000)
        VisitRecord.objects.bulk_create(records, batch_size=1000)
        Visit.objects.bulk_update(
            [Visit(pk=r.visit_id, flagged=bool(r.flags), review=r.review_state) for r in records if r.review_state],
            ["flagged", "review"],
            batch_size=1000,
        )
    return len(records), flagged
