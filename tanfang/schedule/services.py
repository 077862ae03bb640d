"""Applying `due.py` to the database: policies down the tree, surges, and each elder's stored due state."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol

from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.care.selectors import open_rechecks
from tanfang.core.bulk import among
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.generations import bump
from tanfang.core.roles import Permission
from tanfang.core.scope import Actor
from tanfang.core.time import local_today, now
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import (
    DueRefresh,
    Elder,
    ElderGroup,
    Group,
    RegionDueRefresh,
    RiskLevel,
    StatusChange,
    Willingness,
)
from tanfang.regions.models import Region
from tanfang.regions.paths import parent_path
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.schedule import due
from tanfang.schedule.models import ElderDue, RecomputeJob, RegionPolicy, WeatherEvent
from tanfang.schedule.months import Activity, ElderMonth, apply, elder_month, load_activity, months_back
from tanfang.schedule.policies import POLICIES, PolicyBook, SurgeBook, current_policies
from tanfang.visits.models import Outcome

LOOKBACK_DAYS = 400  # a year of visits and more: enough for every rule in due.py
CHUNK = 2000
RECOMPUTE_SLICE = CHUNK * 5
PARALLEL_FROM = 50_000


def load_facts(
    elder_ids: Sequence[int], today: dt.date, activity: Mapping[int, Activity]
) -> dict[int, tuple[Elder, due.ElderFacts, list[due.Contact]]]:
    """Everything due.py needs for these elders, in three queries, with the contacts taken from their
    records (`activity`: loaded from `LOOKBACK_DAYS` before today at the latest)."""
    elders = {e.pk: e for e in Elder.objects.filter(pk__in=elder_ids)}
    facts = registry_facts(elders.values(), rechecks=True)
    since = today - dt.timedelta(days=LOOKBACK_DAYS)
    result = {}
    for elder_id, elder in elders.items():
        visits = activity[elder_id].visits if elder_id in activity else ()
        contacts = [
            due.Contact(v.day, v.method)
            for v in visits
            if v.day >= since and v.outcome == Outcome.VISITED and not v.rejected
        ]
        result[elder_id] = (elder, facts[elder_id], contacts)
    return result


# The elder's fields `registry_facts` reads: enough to load elders with `.only(*REGISTRY_FIELDS)`.
REGISTRY_FIELDS = (
    "pk",
    "region_id",
    "region_path",
    "registered_on",
    "status",
    "status_since",
    "risk_level",
    "willingness",
    "merged_into_id",
)


class RegistryRow(Protocol):
    """An elder as `registry_facts` reads it: a model loaded with `.only(*REGISTRY_FIELDS)`, or a named
    row of `.values_list(*REGISTRY_FIELDS, named=True)` (the rebuild reads a million without models)."""

    pk: int
    registered_on: dt.date
    status: str
    status_since: dt.date | None
    risk_level: str
    willingness: str


def registry_facts(elders: Iterable[RegistryRow], *, rechecks: bool) -> dict[int, due.ElderFacts]:
    """What the registry tells due.py about these elders (statuses, groups, risk, willingness, and,
    when asked, the hazards to re-check), in two or three queries."""
    by_id = {e.pk: e for e in elders}
    ids = list(by_id)
    statuses: dict[int, list[due.StatusSpan]] = defaultdict(list)
    # `among` may match elders in between: the result below takes only these elders' entries.
    for elder_id, status, since in (
        StatusChange.objects.filter(among("elder_id", ids)).order_by("elder_id", "since", "pk")
    ).values_list("elder_id", "status", "since"):
        statuses[elder_id].append(due.StatusSpan(status, since))
    groups: dict[int, set[str]] = defaultdict(set)
    for elder_id, group in ElderGroup.objects.filter(among("elder_id", ids), until__isnull=True).values_list(
        "elder_id", "group"
    ):
        groups[elder_id].add(group)
    found = open_rechecks(ids) if rechecks else {}
    return {
        elder_id: due.ElderFacts(
            registered_on=elder.registered_on,
            statuses=tuple(statuses[elder_id])
            or (due.StatusSpan(elder.status, elder.status_since or elder.registered_on),),
            groups=frozenset(groups[elder_id]),
            high_risk=elder.risk_level == RiskLevel.HIGH,
            declined=elder.willingness == Willingness.UNWILLING,
            rechecks=tuple(due.Recheck(day, by, label) for day, by, label in found.get(elder_id, ())),
        )
        for elder_id, elder in by_id.items()
    }


def compute_state(
    elder: Elder,
    facts: due.ElderFacts,
    contacts: list[due.Contact],
    today: dt.date,
    policies: PolicyBook,
    surges: SurgeBook,
) -> ElderDue:
    policy = policies.policy(elder.region_path)
    owed = due.obligations(facts, contacts, policy, today, surges.surges(elder.region_path))
    last = max(contacts, key=lambda c: c.day, default=None)
    first = owed[0] if owed else None
    return ElderDue(
        elder_id=elder.pk,
        region_path=elder.region_path,
        computed_on=today,
        month=today.replace(day=1),
        deadline=first.deadline if first else None,
        reason=str(first.reason) if first else "",
        label=first.label if first else "",
        obligations=[[o.deadline.isoformat(), str(o.reason), o.label] for o in owed],
        last_contact_on=last.day if last else None,
        last_method=last.method if last else "",
    )


_DUE_FIELDS = [
    "region_path",
    "computed_on",
    "month",
    "deadline",
    "reason",
    "label",
    "obligations",
    "last_contact_on",
    "last_method",
]


def refresh_due(elder_ids: Iterable[int], today: dt.date | None = None, months: Sequence[dt.date] | None = None) -> int:
    """Recompute and store the due state of these elders, and their months (`months.WINDOW` of them
    unless `months` names the first days of fewer), with the facts above them. Returns how many
    elders were refreshed."""
    today = today or local_today()
    window = list(months) if months is not None else months_back(today)
    ids = list(elder_ids)
    policies = current_policies()
    surges = SurgeBook(today, policies)
    count = 0
    for start in range(0, len(ids), CHUNK):
        batch = ids[start : start + CHUNK]
        # One read of the records serves both: the contacts of the due rules and the months' counts.
        since = today - dt.timedelta(days=LOOKBACK_DAYS)
        activity = load_activity(batch, min(since, window[0]) if window else since, visits_only=not window)
        loaded = load_facts(batch, today, activity)
        rows = sorted(  # in id order: concurrent upserts then lock rows in the same order, never deadlock
            (
                compute_state(elder, facts, contacts, today, policies, surges)
                for elder, facts, contacts in loaded.values()
            ),
            key=lambda row: row.elder_id,
        )
        month_rows: dict[tuple[int, dt.date], ElderMonth | None] = {}
        for elder, facts, _contacts in loaded.values():
            policy = policies.policy(elder.region_path)
            done = activity.get(elder.pk) or Activity()
            for month in window:
                month_rows[(elder.pk, month)] = (
                    None
                    if elder.merged_into_id
                    else elder_month(facts, done, policy, month, today, region_path=elder.region_path)
                )
        with transaction.atomic():
            # The due rows first: their row locks keep a concurrent refresh of the same elders waiting
            # until this one's months are stored, so `apply` always starts from the rows as they are.
            ElderDue.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["elder"], update_fields=_DUE_FIELDS, batch_size=1000
            )
            apply(month_rows, window)
        count += len(rows)
    return count


# --- the refresh queue (elders.due_queue): writes queue their elders, drains recompute them in batches ----


DRAIN_LOCK = 7_402_211  # the PostgreSQL advisory lock that lets one drain run at a time
DRAIN_BATCH = 1000  # small enough that a reader waiting behind the periodic drain waits well under a second


def refresh_queued(
    *,
    region_path: str | None = None,
    elder_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    limit: int | None = None,
) -> int:
    """Recompute queued elders (all, or those under a region path, or among some ids), oldest first,
    and take off the queue exactly the entries that were read. Returns how many were refreshed.

    Drains run one at a time (an advisory lock on PostgreSQL; SQLite has one writer anyway), so
    two never lock the same rows in different orders; a reader behind the periodic drain waits
    for its batch and then finds its elders done. Submissions never wait for a drain.
    """
    ids = list(elder_ids) if elder_ids is not None else None

    def queued() -> list[tuple[int, int]]:
        rows = DueRefresh.objects.all()
        if region_path:
            rows = rows.filter(region_path__startswith=region_path)
        if ids is not None:
            rows = rows.filter(elder_id__in=ids)
        return list(rows.order_by("queued_at", "elder_id").values_list("elder_id", "token")[:limit])

    if not queued():  # the usual case for a reader: nothing to wait for
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DRAIN_LOCK])
        seen = queued()  # again: another drain may have taken them meanwhile
        if not seen:
            return 0
        count = refresh_due([elder_id for elder_id, _token in seen], today)
        for start in range(0, len(seen), 500):
            taken = Q()
            for elder_id, token in seen[start : start + 500]:
                taken |= Q(elder_id=elder_id, token=token)
            DueRefresh.objects.filter(taken).delete()
    return count


def drain_due_queue(today: dt.date | None = None, batch: int = DRAIN_BATCH) -> int:
    """Refresh everyone queued, a batch (one transaction) at a time, then every region queued.
    Returns how many elders were refreshed."""
    total = 0
    while count := refresh_queued(today=today, limit=batch):
        total += count
    return total + refresh_queued_regions(today)


REGION_LOCK = 7_402_212  # the PostgreSQL advisory lock that lets one process recompute queued regions


def refresh_queued_regions(today: dt.date | None = None) -> int:
    """Recompute every region queued (a policy changed, a weather event was declared), oldest first,
    each with its progress in a RecomputeJob. A region queued again while it ran stays queued and
    runs again. One process at a time does this; another returns at once. Returns the elders refreshed.
    """
    if not RegionDueRefresh.objects.exists():
        return 0
    locked = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [REGION_LOCK])
            locked = bool(cursor.fetchone()[0])
        if not locked:
            return 0
    total = 0
    try:
        while (entry := RegionDueRefresh.objects.order_by("queued_at", "pk").first()) is not None:
            job = run_recompute(start_recompute(region_path=entry.region_path), today)
            RegionDueRefresh.objects.filter(pk=entry.pk, token=entry.token).delete()
            total += job.done
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [REGION_LOCK])
    return total


def regions_being_refreshed(region_path: str) -> list[str]:
    """The queued regions that cover this one or lie inside it: their states are being recomputed."""
    return [
        path
        for path in RegionDueRefresh.objects.values_list("region_path", flat=True)
        if region_path.startswith(path) or path.startswith(region_path)
    ]


def start_recompute(*, region_path: str) -> RecomputeJob:
    """A job row for recomputing a region: its progress, for the page that shows it."""
    return RecomputeJob.objects.create(region_path=region_path)


def request_recompute(*, actor: Actor, region_code: str) -> Region:
    """Have every elder of the region recomputed in the background (an officer asks it after fixing data)."""
    require_permission(actor, Permission.MANAGE_VISITORS)
    region = get_region_for(actor, region_code)
    with transaction.atomic():
        queue_due_refresh(region_path=region.path)
        record_event(actor=actor, action=Action.DUE_RECOMPUTED, subject=region)
    return region


NIGHTLY_MONTHS = 2  # a new day changes only this month and the last (a follow-up's deadline passing)


def recompute_everyone(today: dt.date | None = None) -> RecomputeJob:
    """Every elder's state for a new day (the nightly job): month starts, surges opening and closing,
    and the follow-ups whose deadline passed yesterday in this month's and last month's figures."""
    today = today or local_today()
    return run_recompute(start_recompute(region_path=""), today, months_back(today, NIGHTLY_MONTHS))


def _recompute_slice(args: tuple[int, list[int], dt.date, list[dt.date] | None]) -> int:
    job_id, ids, today, months = args
    count = refresh_due(ids, today, months)
    RecomputeJob.objects.filter(pk=job_id).update(done=F("done") + count)
    return count


def _recompute_slice_in_child(args: tuple[int, list[int], dt.date, list[dt.date] | None]) -> int:
    try:
        return _recompute_slice(args)
    finally:
        connections.close_all()


def run_recompute(job: RecomputeJob, today: dt.date | None = None, months: list[dt.date] | None = None) -> RecomputeJob:
    """Recompute every elder under the job's region, saving progress as it goes.

    Big regions on PostgreSQL use every core (when this process may have children: not inside a
    daemonic Celery worker process, where the slices run one after another).
    """
    today = today or local_today()
    ids = list(
        Elder.objects.filter(region_path__startswith=job.region_path, merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    job.total, job.done = len(ids), 0
    job.save(update_fields=["total", "done"])
    slices = [(job.pk, ids[i : i + RECOMPUTE_SLICE], today, months) for i in range(0, len(ids), RECOMPUTE_SLICE)]
    workers = min(os.cpu_count() or 1, 4)
    parallel = (
        connection.vendor == "postgresql"
        and len(ids) >= PARALLEL_FROM
        and workers > 1
        and not multiprocessing.current_process().daemon
    )
    try:
        if parallel:
            connections.close_all()
            # An executor, not a Pool: a worker that dies raises BrokenProcessPool instead of hanging.
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                list(pool.map(_recompute_slice_in_child, slices))
        else:
            for piece in slices:
                _recompute_slice(piece)
    except Exception as error:  # the job row must say that it failed
        job.error = str(error)[:2000]
        job.finished_at = now()
        job.save(update_fields=["error", "finished_at"])
        raise
    job.refresh_from_db()
    job.finished_at = now()
    job.save(update_fields=["finished_at"])
    return job


# --- policies and weather events, as officers change them -----------------------------------


def save_policy(*, actor: Actor, region_code: str, values: dict[str, object]) -> RegionPolicy:
    """Set a region's policy; every elder below is recomputed in the background.

    A lower region cannot loosen what it inherits (checked here, and by `due.tighten`).
    """
    require_permission(actor, Permission.MANAGE_VISITORS)
    region = get_region_for(actor, region_code)
    above = parent_path(region.path)
    inherited = PolicyBook().policy(above) if above else due.Policy()
    errors = []
    if int(values.get("monthly_contacts", 1)) < inherited.monthly_contacts:  # type: ignore[call-overload]
        errors.append(
            FieldError("monthly_contacts", _("不能低于上级要求的每月 %(n)d 次") % {"n": inherited.monthly_contacts})
        )
    if int(values.get("disabled_home_visit_months", 3)) > inherited.disabled_home_visit_months:  # type: ignore[call-overload]
        errors.append(
            FieldError(
                "disabled_home_visit_months",
                _("不能长于上级要求的 %(n)d 个月") % {"n": inherited.disabled_home_visit_months},
            )
        )
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        policy, _created = RegionPolicy.objects.update_or_create(
            region=region, defaults={"region_path": region.path, **values}
        )
        bump(POLICIES)  # every process reloads its policy book (rolled back with the change)
        queue_due_refresh(region_path=region.path)
        record_event(actor=actor, action=Action.POLICY_CHANGED, subject=region, details={"policy": values})
    return policy


def declare_weather(
    *,
    actor: Actor,
    region_code: str,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    groups: Sequence[str],
    note: str = "",
) -> WeatherEvent:
    """Declare extreme weather in a region: the chosen groups (all when none) must be contacted
    within the window; every elder below is recomputed in the background."""
    require_permission(actor, Permission.MANAGE_VISITORS)
    region = get_region_for(actor, region_code)
    errors = []
    if kind not in WeatherEvent.Kind.values:
        errors.append(FieldError("kind", _("类型不是有效的选项")))
    unknown = sorted(set(groups) - set(Group.values))
    if unknown:
        errors.append(FieldError("groups", _("类别不是有效的选项：%(codes)s") % {"codes": "、".join(unknown)}))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", _("结束日期不能早于开始日期")))
    elif (ends_on - starts_on).days > MAX_WEATHER_DAYS:
        errors.append(FieldError("ends_on", _("一次发布的天气期间不能超过 %(n)d 天") % {"n": MAX_WEATHER_DAYS}))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        event = WeatherEvent.objects.create(
            region=region,
            region_path=region.path,
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            groups=",".join(dict.fromkeys(groups)),
            note=note[:200],
            declared_by=actor,  # type: ignore[misc]
        )
        queue_due_refresh(region_path=region.path)
        record_event(actor=actor, action=Action.WEATHER_DECLARED, subject=event, subject_label=str(event))
    return event


MAX_WEATHER_DAYS = 31
