"""Build the demo: one real county, 武陟县, with officers at every level, visitors and elders."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.db.models import Q

from tanfang.accounts.models import User
from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.crypto import field_cipher
from tanfang.core.roles import RegionLevel, Role
from tanfang.core.time import local_today
from tanfang.devtools.demo_care import STAFF_USERNAME, seed_care
from tanfang.devtools.demo_elders import ELDER_CHILD_MODELS, Village, generate_elders, insert_elder_rows
from tanfang.devtools.demo_follow_ups import seed_follow_ups
from tanfang.devtools.demo_incidents import seed_incidents
from tanfang.devtools.demo_notifications import seed_notifications
from tanfang.devtools.demo_records import seed_records
from tanfang.devtools.demo_visits import seed_visitors_and_visits
from tanfang.devtools.factories import DEFAULT_PASSWORD, make_user
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.regions.services import import_regions_from_package
from tanfang.schedule.closing import close_due_months
from tanfang.schedule.services import refresh_due

DEMO_COUNTY = "410823"  # 武陟县, 焦作市, 河南省
OUTSIDER_COUNTY = "410822"  # 博爱县: an officer there must see nothing of 武陟县
# The demo `visitor` works in the county's first village; it always gets at least this many elders,
# so that the log-in has a work list whatever the elder count and the day (366 villages share them).
SHOWCASE_ELDERS = 12


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    region: str
    display_name: str


@dataclass(frozen=True)
class SeedResult:
    logins: list[DemoLogin]
    elders_created: int
    elder_seconds: float


def _region(code: str) -> Region:
    return Region.objects.get(code=code)


def _townships(county: Region) -> list[Region]:
    return list(Region.objects.filter(parent=county).order_by("code"))


def _demo_village(county: Region) -> Region:
    """The village where the demo `village` worker and `visitor` work: the county's first, by code."""
    village = Region.objects.filter(parent=_townships(county)[0]).order_by("code").first()
    if village is None:
        raise RuntimeError(f"区划 {county.code} 的第一个乡镇下没有村（居）数据")
    return village


def _demo_users(county: Region) -> list[tuple[str, Role, str, str]]:
    townships = _townships(county)
    first_township = townships[0]
    first_village = _demo_village(county)
    province, city = county.ancestor_codes[0], county.ancestor_codes[1]
    users = [
        ("sysadmin", Role.SYSTEM_ADMIN, province, "系统管理员"),
        ("secadmin", Role.SECURITY_ADMIN, province, "安全管理员"),
        ("auditor", Role.AUDIT_ADMIN, province, "审计管理员"),
        ("henan", Role.PROVINCE_OFFICER, province, "省民政厅 王处长"),
        ("jiaozuo", Role.CITY_OFFICER, city, "焦作市民政局 李科长"),
        ("wuzhi", Role.COUNTY_OFFICER, county.code, "武陟县民政局 张股长"),
        ("township", Role.TOWNSHIP_OFFICER, first_township.code, f"{first_township.name} 赵主任"),
        ("village", Role.VILLAGE_WORKER, first_village.code, f"{first_village.name} 刘委员"),
        ("visitor", Role.VISITOR, first_village.code, "网格员 陈晓"),
        ("supervisor", Role.SUPERVISOR, county.code, "县纪委 监督员"),
        ("boai", Role.COUNTY_OFFICER, OUTSIDER_COUNTY, "博爱县民政局（外县）"),
    ]
    for index, township in enumerate(townships[1:], start=2):
        users.append((f"township{index:02d}", Role.TOWNSHIP_OFFICER, township.code, f"{township.name} 干部"))
    return users


def seed_demo(*, elders: int = 2000, seed: int = 2023, county_code: str = DEMO_COUNTY) -> SeedResult:
    """Load the demo county's regions, demo accounts and synthetic elders; safe to run again.

    Accounts that exist are left alone; elders are added only up to the requested count, the
    first SHOWCASE_ELDERS of them in the demo visitor's village. Every elder still owed visits is
    paired (below PARALLEL_FROM elders; benchmark-sized runs bring their own pairings and visits).
    Deterministic for a given seed and day; the whole run uses the day it started on.
    """
    today = local_today()
    import_regions_from_package(actor=None, county=county_code)
    county = _region(county_code)
    logins: list[DemoLogin] = []
    with transaction.atomic():
        for username, role, code, display_name in _demo_users(county):
            region = _region(code)
            if not User.objects.filter(username=username).exists():
                user = make_user(username, role, [region], password=DEFAULT_PASSWORD, display_name=display_name)
                record_event(
                    actor=None,
                    action=Action.USER_CREATED,
                    subject=user,
                    changes={"role": {"old": None, "new": role.value}, "regions": {"old": None, "new": [code]}},
                    details={"source": "seed_demo"},
                )
            logins.append(DemoLogin(username, role, region.full_name, display_name))

    started = time.perf_counter()
    created = seed_elders(count=elders, seed=seed, county=county, showcase=_demo_village(county), today=today)
    elder_seconds = time.perf_counter() - started
    if elders < PARALLEL_FROM:  # benchmark-sized runs bring their own visits (bench/)
        seed_visitors_and_visits(county=county, seed=seed, today=today)
        seed_records(county=county, seed=seed)
        seed_care(county=county, seed=seed)  # providers first: follow-ups may be given to them
        seed_follow_ups(county=county, seed=seed)
        seed_notifications(county=county)
        seed_incidents(county=county)
        # The records, reviews, follow-ups, services and incidents above were written in bulk: count them
        # in the months' figures, then close the months whose grace days are over (as the nightly jobs do).
        refresh_due(Elder.objects.filter(region_path__startswith=county.path).values_list("pk", flat=True), today)
        close_due_months(today)
    staff = User.objects.filter(username=STAFF_USERNAME).prefetch_related("region_assignments__region").first()
    if staff is not None:  # the elder-care centre's account, made with its provider (demo_care)
        where = ", ".join(a.region.full_name for a in staff.region_assignments.all())
        logins.append(DemoLogin(staff.username, Role(staff.role), where, staff.display_name))
    return SeedResult(logins=logins, elders_created=created, elder_seconds=elder_seconds)


PARALLEL_FROM = 50_000


@dataclass(frozen=True)
class _SeedJob:
    seed: str
    villages: list[Village]
    count: int
    today: dt.date
    county_code: str
    partition: tuple[int, int]
    showcase: Village | None = None
    showcase_count: int = 0  # of `count`, the first ones, who live in `showcase`


@contextmanager
def _constraints_deferred(tables: list[str]) -> Iterator[None]:
    """Drop the tables' indexes and unique/foreign-key constraints for a bulk load (PostgreSQL).

    Building each once over millions of rows costs far less than maintaining it row by row.
    Their exact definitions are read from the catalogue and restored afterwards; restoring a
    unique or foreign-key constraint re-checks every row, so a duplicate ID number or a row
    pointing at nothing still fails the load. Primary keys stay.
    """
    dropped: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype <> 'f')",
                [table],
            )
            indexes = cursor.fetchall()
            quoted = connection.ops.quote_name(table)
            for name, _definition in constraints:
                cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            dropped.append((quoted, constraints, indexes))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for quoted, constraints, indexes in dropped:  # the elder table first: children point at it
                for _name, definition in indexes:
                    cursor.execute(definition)
                for name, definition in constraints:  # unique before foreign keys
                    cursor.execute(
                        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                    )


def _run_seed_job(job: _SeedJob) -> int:
    rng = random.Random(job.seed)
    cipher = field_cipher()
    taken: set[tuple[dt.date, int]] = set()  # one set for both: no ID number twice
    showcase = generate_elders(
        rng,
        job.villages,
        job.showcase_count,
        today=job.today,
        cipher=cipher,
        county_code=job.county_code,
        taken=taken,
        partition=job.partition,
        home=job.showcase,
    )
    anywhere = generate_elders(
        rng,
        job.villages,
        job.count - job.showcase_count,
        today=job.today,
        cipher=cipher,
        county_code=job.county_code,
        taken=taken,
        partition=job.partition,
    )
    return insert_elder_rows(itertools.chain(showcase, anywhere))


def _run_seed_job_in_child(job: _SeedJob) -> int:
    try:
        return _run_seed_job(job)
    finally:
        connections.close_all()  # a forked child's connection is its own; leave nothing open


def seed_elders(
    *,
    count: int,
    seed: int,
    county: Region,
    also: Sequence[Region] = (),
    showcase: Region | None = None,
    today: dt.date | None = None,
) -> int:
    """Add synthetic elders to the villages of the county (and of the regions `also` names)
    until they hold `count` of them; each village gets about the same number.

    The `showcase` village, when given, first gets enough of them to hold SHOWCASE_ELDERS
    (or all of them, when fewer are added): the demo visitor must have elders to visit even
    when there are fewer elders than villages.
    """
    areas = [county, *also]
    within = Q()
    for area in areas:
        within |= Q(region_path__startswith=area.path)
    existing = Elder.objects.filter(within).count()
    wanted = count - existing
    if wanted <= 0:
        return 0
    villages = [
        Village(code=r.code, name=r.name, path=r.path)
        for area in areas
        for r in Region.objects.filter(path__startswith=area.path, level=RegionLevel.VILLAGE).order_by("code")
    ]
    if not villages:
        raise RuntimeError(f"区划 {county.code} 下没有村（居）数据，请先导入乡镇和村级区划")
    today = today or local_today()
    home: Village | None = None
    home_count = 0
    if showcase is not None:
        home = {v.code: v for v in villages}[showcase.code]  # a village of the areas seeded
        home_count = max(0, SHOWCASE_ELDERS - Elder.objects.filter(region=showcase).count())
    # Big runs on PostgreSQL use every core: each process generates and COPYs its share.
    parts = min(os.cpu_count() or 1, 4) if wanted >= PARALLEL_FROM and connection.vendor == "postgresql" else 1
    counts = [wanted // parts + (1 if k < wanted % parts else 0) for k in range(parts)]
    jobs = [
        _SeedJob(
            seed=f"{seed}:{county.code}:{existing}:{k}",
            villages=villages,
            count=counts[k],
            today=today,
            county_code=county.code,
            partition=(k, parts),
            showcase=home,
            showcase_count=min(home_count, counts[k]) if k == 0 else 0,
        )
        for k in range(parts)
    ]
    if parts == 1:
        created = _run_seed_job(jobs[0])
    else:
        with _constraints_deferred([Elder._meta.db_table, *(m._meta.db_table for m in ELDER_CHILD_MODELS)]):
            connections.close_all()  # children must not share the parent's connection
            with multiprocessing.get_context("fork").Pool(parts) as pool:
                created = sum(pool.map(_run_seed_job_in_child, jobs))
    with transaction.atomic():
        record_event(
            actor=None,
            action=Action.ELDERS_SEEDED,
            subject=county,
            details={"created": created, "seed": seed},
        )
    return created
