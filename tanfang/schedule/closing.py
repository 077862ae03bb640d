"""Month close (月结): a province's month is frozen into a snapshot `grace days` after it ends.

* `close_due_months` (daily) closes every month that ended at least `TANFANG_MONTH_CLOSE_GRACE_DAYS`
  days ago and was never closed, for each province: its facts are copied into ClosedFact rows.
* A record dated in a closed month that arrives later (an offline upload) or is reviewed later is noted
  as a Correction, with who and why (`note_late_records`, `note_late_review`, called by records in the
  transaction that stores it). The live facts take it in at once; the snapshot does not.
* Only an officer re-opening (`reopen_month`) or closing again (`close_month`) changes what a closed
  month shows: closing again takes a new snapshot that counts the corrections so far. Both are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.roles import Permission, RegionLevel
from tanfang.core.scope import Actor
from tanfang.core.time import local_today, now
from tanfang.regions.models import Region
from tanfang.regions.paths import path_prefixes
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.schedule import due
from tanfang.schedule.models import ClosedFact, Correction, MonthClose, MonthFact, VisitorMonth
from tanfang.schedule.months import ALL_COHORTS, FACT_CELLS
from tanfang.visits.models import Visit

AUTO_CLOSE_LOOKBACK = 24  # months looked at by the daily close: a new deployment closes its past year or two


def grace_days() -> int:
    return int(getattr(settings, "TANFANG_MONTH_CLOSE_GRACE_DAYS", 5))


def closes_on(month: dt.date) -> dt.date:
    """The day a month closes: `grace days` after its last day."""
    return due.month_bounds(month.year, month.month)[1] + dt.timedelta(days=grace_days())


def province_of(path: str) -> str:
    return path_prefixes(path)[0] if path else ""


def close_of(path: str, month: dt.date) -> MonthClose | None:
    """The close row of the province containing `path` for `month`, closed or re-opened; None if never closed."""
    if not path:
        return None
    return MonthClose.objects.filter(region_path=province_of(path), month=month).first()


def is_closed(path: str, month: dt.date) -> bool:
    row = close_of(path, month)
    return bool(row and row.closed)


# --- late records -----------------------------------------------------------------------------------


def _closed_months(keys: Iterable[tuple[str, dt.date]]) -> set[tuple[str, dt.date]]:
    """Of these (province path, month) pairs, those closed now."""
    wanted = set(keys)
    if not wanted:
        return set()
    rows = MonthClose.objects.filter(
        region_path__in={p for p, _m in wanted}, month__in={m for _p, m in wanted}, closed=True
    ).values_list("region_path", "month")
    return {row for row in rows if row in wanted}


def note_late_records(*, actor: Actor | None, visits: Sequence[Visit], reason: str = "") -> int:
    """Note the visits dated in a closed month as corrections (补录). Returns how many were noted."""
    closed = _closed_months((province_of(v.region_path), v.day.replace(day=1)) for v in visits)
    if not closed:
        return 0
    moment = now()
    rows = [
        Correction(
            region_path=v.region_path,
            month=v.day.replace(day=1),
            elder_id=v.elder_id,
            visit=v,
            kind=Correction.Kind.LATE_RECORD,
            reason=reason or _("月结后上传的探访记录"),
            by_id=getattr(actor, "pk", None),
            at=moment,
        )
        for v in visits
        if (province_of(v.region_path), v.day.replace(day=1)) in closed
    ]
    Correction.objects.bulk_create(rows)
    return len(rows)


def note_late_review(*, actor: Actor, visit: Visit, outcome: str) -> bool:
    """Note a review of a visit dated in a closed month as a correction. Returns whether it was one."""
    month = visit.day.replace(day=1)
    if not is_closed(visit.region_path, month):
        return False
    Correction.objects.create(
        region_path=visit.region_path,
        month=month,
        elder_id=visit.elder_id,
        visit=visit,
        kind=Correction.Kind.REVIEW,
        reason=_("月结后审核：%(outcome)s") % {"outcome": outcome},
        by_id=getattr(actor, "pk", None),
        at=now(),
    )
    return True


def open_corrections(path: str, month: dt.date) -> int:
    """Corrections under a region for a month, not yet taken into a snapshot (补录 N)."""
    return Correction.objects.filter(month=month, region_path__startswith=path, absorbed_by__isnull=True).count()


# --- closing, re-opening ----------------------------------------------------------------------------


def _snapshot(close: MonthClose) -> int:
    """Copy the province's live facts of the month into the close's snapshot, with visitors active."""
    ClosedFact.objects.filter(close=close).delete()
    columns = ["region_path", "parent_path", "month", "cohort", *FACT_CELLS]
    source = connection.ops.quote_name(MonthFact._meta.db_table)
    target = connection.ops.quote_name(ClosedFact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target} (close_id, visitors_active, {', '.join(columns)}) "  # noqa: S608 - names are ours
            f"SELECT %s, 0, {', '.join(columns)} FROM {source} WHERE month = %s AND region_path LIKE %s",
            [close.pk, close.month, close.region_path + "%"],
        )
        copied = cursor.rowcount
    active = dict(  # visitors active are kept per region at every level: a count of rows
        VisitorMonth.objects.filter(month=close.month, region_path__startswith=close.region_path, rows__gt=0)
        .values_list("region_path")
        .annotate(n=Count("*"))
        .values_list("region_path", "n")
    )
    ClosedFact.objects.bulk_create(
        [
            ClosedFact(
                close=close,
                region_path=path,
                parent_path=path_prefixes(path)[-2] if len(path_prefixes(path)) > 1 else "",
                month=close.month,
                cohort=ALL_COHORTS,
                visitors_active=count,
            )
            for path, count in sorted(active.items())
        ],
        batch_size=2000,
    )
    return copied


def _close(province: str, month: dt.date, actor: Actor | None, reason: str) -> MonthClose:
    close, _created = MonthClose.objects.update_or_create(
        region_path=province,
        month=month,
        defaults={
            "closed": True,
            "closed_at": now(),
            "closed_by_id": getattr(actor, "pk", None),
            "reason": reason,
        },
    )
    _snapshot(close)
    Correction.objects.filter(month=month, region_path__startswith=province, absorbed_by__isnull=True).update(
        absorbed_by=close, absorbed_at=close.closed_at
    )
    return close


def _month_for(actor: Actor, region_code: str, month: dt.date) -> Region:
    region = get_region_for(actor, region_code)  # outside the actor's scope: 404, like a missing region
    require_permission(actor, Permission.CLOSE_MONTHS)
    if region.level != RegionLevel.PROVINCE:
        raise ValidationFailed(errors=[FieldError("region", _("月结按省进行，请选择省级区划"))])
    if closes_on(month) >= local_today():
        raise ValidationFailed(
            errors=[
                FieldError(
                    "month",
                    _("%(month)s 尚未到月结日（%(day)s 之后）") % {"month": f"{month:%Y-%m}", "day": closes_on(month)},
                )
            ]
        )
    return region


def close_month(*, actor: Actor, region_code: str, month: dt.date, reason: str = "") -> MonthClose:
    """Close a province's month (again): a new snapshot, counting every correction so far. Audited."""
    region = _month_for(actor, region_code, month)
    with transaction.atomic():
        close = _close(region.path, month, actor, reason.strip()[:200])
        record_event(
            actor=actor,
            action=Action.MONTH_CLOSED,
            subject=region,
            details={"month": f"{month:%Y-%m}", "reason": reason.strip()[:200]},
        )
    return close


def reopen_month(*, actor: Actor, region_code: str, month: dt.date, reason: str) -> MonthClose:
    """Re-open a closed month: its pages show the live figures until it is closed again. Audited."""
    region = _month_for(actor, region_code, month)
    if not reason.strip():
        raise ValidationFailed(errors=[FieldError("reason", _("请说明重新打开的原因"))])
    with transaction.atomic():
        close = MonthClose.objects.select_for_update().filter(region_path=region.path, month=month).first()
        if close is None or not close.closed:
            raise ValidationFailed(errors=[FieldError("month", _("该月尚未月结"))])
        close.closed = False
        close.reopened_at = now()
        close.reopened_by_id = actor.pk
        close.reason = reason.strip()[:200]
        close.save(update_fields=["closed", "reopened_at", "reopened_by", "reason"])
        record_event(
            actor=actor,
            action=Action.MONTH_REOPENED,
            subject=region,
            details={"month": f"{month:%Y-%m}", "reason": close.reason},
        )
    return close


def close_due_months(today: dt.date | None = None) -> list[MonthClose]:
    """Close, for every province, each month whose grace days are over and that was never closed.

    A month an officer re-opened stays open until closed again by hand."""
    today = today or local_today()
    provinces = list(Region.objects.filter(level=RegionLevel.PROVINCE).values_list("path", flat=True))
    months = due_months(today)
    done = set(MonthClose.objects.filter(month__in=months).values_list("region_path", "month"))
    closed = []
    for province in provinces:
        for month in months:
            if (province, month) in done:
                continue
            if not MonthFact.objects.filter(region_path=province, month=month).exists():
                continue  # nothing recorded there that month: nothing to freeze
            with transaction.atomic():
                closed.append(_close(province, month, None, _("到期自动月结")))
                record_event(
                    actor=None,
                    action=Action.MONTH_CLOSED,
                    subject_type="region",
                    subject_id=province.rstrip("/").rsplit("/", 1)[-1],
                    region_path=province,
                    details={"month": f"{month:%Y-%m}", "automatic": True},
                )
    return closed


def due_months(today: dt.date) -> list[dt.date]:
    """The months that should be closed by today, newest last (within AUTO_CLOSE_LOOKBACK)."""
    start = today.replace(day=1)
    months = [due.add_months(start, -back) for back in range(AUTO_CLOSE_LOOKBACK, 0, -1)]
    return [m for m in months if closes_on(m) < today]
