import datetime as dt
import random
import re

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from tanfang.accounts.models import User
from tanfang.conftest import Tree
from tanfang.core.crypto import field_cipher
from tanfang.core.id_numbers import age_on, parse_citizen_id
from tanfang.core.roles import RegionLevel, Role
from tanfang.core.time import LOCAL_TZ, local_today
from tanfang.devtools import demo
from tanfang.devtools.demo import SHOWCASE_ELDERS, seed_demo
from tanfang.devtools.demo_elders import ELDER_CHILD_MODELS, Village, generate_elders
from tanfang.elders.models import ID_NUMBER_CONTEXT, Elder
from tanfang.records.formdefs import check_answers
from tanfang.records.models import VisitRecord
from tanfang.records.selectors import review_queue
from tanfang.regions.models import Region
from tanfang.schedule.models import ElderDue
from tanfang.schedule.selectors import overdue, visitor_of, worklist
from tanfang.visitors.models import Pairing, Visitor
from tanfang.visitors.selectors import unpaired_elders
from tanfang.visitors.services import ENDED_STATUSES, end_pairing, pair
from tanfang.visits.models import Visit

VILLAGES = [Village("410823001001", "建设社区居民委员会", "410000/410800/410823/410823001000/410823001001/")]
DEMO_VILLAGE = "410823001001"  # 建设社区居民委员会, 木城街道: where the demo `visitor` works


def test_the_demo_builds_the_real_county_with_every_role_and_valid_elders(db):
    # when
    result = seed_demo(elders=120)

    # then: 武陟县's real 16 townships and 366 villages
    county = Region.objects.filter(path__startswith="410000/410800/410823/")
    assert county.filter(level=RegionLevel.TOWNSHIP).count() == 16
    assert county.filter(level=RegionLevel.VILLAGE).count() == 366
    assert {login.role for login in result.logins} == set(Role)
    assert User.objects.get(username="boai").region_paths() == ("410000/410800/410822/",)
    # and every elder has an ID number that passes GB 11643 and agrees with the record
    assert Elder.objects.count() == 120
    today = local_today()
    for elder in Elder.objects.all():
        number = field_cipher().decrypt(bytes(elder.id_number_cipher), context=ID_NUMBER_CONTEXT)
        parsed = parse_citizen_id(number, today=today)
        assert parsed.region_code == "410823"
        assert parsed.birth_date == elder.birth_date
        assert str(parsed.sex) == elder.sex
        assert 60 <= age_on(elder.birth_date, today) <= 100
        assert elder.id_number_masked == number[:6] + "*" * 12
        assert elder.region_path.startswith("410000/410800/410823/")
        assert elder.region_path.endswith(f"{elder.region_id}/")


def test_running_the_demo_again_adds_nothing(db):
    seed_demo(elders=30)
    users, elders = User.objects.count(), Elder.objects.count()

    result = seed_demo(elders=30)

    assert result.elders_created == 0
    assert (User.objects.count(), Elder.objects.count()) == (users, elders)


def test_the_same_seed_gives_the_same_elders():
    def names(seed):
        rows = generate_elders(
            random.Random(seed),
            VILLAGES,
            20,
            today=dt.date(2026, 11, 23),
            cipher=field_cipher(),
            county_code="410823",
        )
        return [(e.row[1], e.row[2], e.row[3], e.row[6]) for e in rows]

    assert names(7) == names(7)
    assert names(7) != names(8)


def test_generated_id_numbers_are_unique_even_in_large_batches():
    rows = generate_elders(
        random.Random(1), VILLAGES, 5000, today=dt.date(2026, 11, 23), cipher=field_cipher(), county_code="410823"
    )

    indexes = [e.row[5] for e in rows]

    assert len(set(indexes)) == 5000


def test_the_seed_command_prints_the_logins(db, capsys):
    call_command("seed_demo", "--elders", "10")

    out = capsys.readouterr().out
    assert "演示账号（密码均为 Tanfang@2026）" in out
    assert "wuzhi" in out and "县级民政干部" in out
    assert "boai" in out
    assert "另有 15 个乡镇干部账号 township02–township16" in out  # 16 townships: township, then 02 to 16


def _elder_catalogue() -> list[tuple[str, str]]:
    """Every index and constraint on the elder table and its child tables, as PostgreSQL defines them."""
    rows: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in (Elder, *ELDER_CHILD_MODELS):
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "UNION ALL SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1, 2",
                [table, table],
            )
            rows.extend(cursor.fetchall())
    return rows


def test_a_large_seed_loads_every_row_once_and_keeps_the_table_constraints(transactional_db, monkeypatch):
    # given a county with villages, and a run big enough for the bulk path
    tree = Tree()
    monkeypatch.setattr(demo, "PARALLEL_FROM", 100)
    on_postgresql = connection.vendor == "postgresql"
    before = _elder_catalogue() if on_postgresql else []

    # when
    created = demo.seed_elders(count=400, seed=7, county=tree.wuzhi)

    # then every row is there once
    assert created == 400
    assert Elder.objects.count() == 400
    assert Elder.objects.values("id_number_index").distinct().count() == 400
    if on_postgresql:
        # and the indexes and constraints dropped for the parallel load are back, exactly
        assert _elder_catalogue() == before
        existing = Elder.objects.first()
        assert existing is not None
        existing.pk = None
        with pytest.raises(IntegrityError), transaction.atomic():
            existing.save(force_insert=True)


@pytest.mark.parametrize(
    ("started_at", "elders", "last_month"),
    [
        # the 1st just after midnight (16:05 on the 30th in UTC): the old demo's visitor had no work list
        (dt.datetime(2026, 12, 1, 0, 5, tzinfo=LOCAL_TZ), 150, (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
        (dt.datetime(2027, 3, 1, 0, 5, tzinfo=LOCAL_TZ), 100, (dt.date(2027, 2, 1), dt.date(2027, 2, 28))),
        (dt.datetime(2027, 1, 31, 23, 50, tzinfo=LOCAL_TZ), 100, (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
        (dt.datetime(2028, 2, 29, 0, 5, tzinfo=LOCAL_TZ), 300, (dt.date(2028, 1, 1), dt.date(2028, 1, 31))),
        (dt.datetime(2026, 11, 18, 14, 30, tzinfo=LOCAL_TZ), 150, (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ],
    ids=["1st-after-midnight", "1st-after-february", "month-end-evening", "leap-day", "mid-month"],
)
def test_the_demo_pairs_every_elder_and_gives_the_demo_visitor_a_work_list_on_any_day(
    db, started_at, elders, last_month
):
    with time_machine.travel(started_at, tick=False):
        # given
        today = started_at.date()

        # when
        seed_demo(elders=elders)

        # then the demo visitor log-in is the visitor of 建设社区, with its elders to visit
        visitor = visitor_of(User.objects.get(username="visitor"))
        assert (visitor.name, visitor.region_id) == ("网格员 陈晓", DEMO_VILLAGE)
        assert Elder.objects.filter(region_id=DEMO_VILLAGE).count() >= SHOWCASE_ELDERS
        owed = Elder.objects.filter(region_id=DEMO_VILLAGE).exclude(status__in=ENDED_STATUSES)
        assert sorted(i.elder.pk for i in worklist(visitor, today)) == sorted(owed.values_list("pk", flat=True))
        # and every elder still owed visits has a primary visitor: the officers' 未结对 list is empty
        county_officer = User.objects.get(username="wuzhi")
        assert list(unpaired_elders(county_officer)) == []
        assert Elder.objects.count() == elders
        assert ElderDue.objects.count() == elders
        # and some are overdue
        assert overdue(county_officer, "410823", today).exists()
        # and last month was visited, about a year of monthly visits in all, some only attempts, none ahead
        assert Visit.objects.filter(day__range=last_month).exists()
        assert Visit.objects.count() > elders * 6
        assert Visit.objects.exclude(outcome="visited").exists()
        assert not Visit.objects.filter(day__gte=today).exists()


def test_seeding_again_pairs_an_elder_left_with_only_backups_and_adds_no_visits(db):
    with time_machine.travel(dt.datetime(2026, 11, 18, 14, 30, tzinfo=LOCAL_TZ), tick=False):
        # given an elder whose primary visitor became one of his two backups
        seed_demo(elders=100)
        county_officer = User.objects.get(username="wuzhi")
        primary = Pairing.objects.filter(region_id=DEMO_VILLAGE, ended_on__isnull=True).order_by("pk").first()
        assert primary is not None
        elder, own = primary.elder, primary.visitor
        other = Visitor.objects.exclude(region_id=DEMO_VILLAGE).order_by("pk").first()
        assert other is not None
        end_pairing(actor=county_officer, pairing=primary, reason="测试")
        pair(actor=county_officer, elder=elder, visitor=own, role=Pairing.Role.BACKUP)
        pair(actor=county_officer, elder=elder, visitor=other, role=Pairing.Role.BACKUP)
        assert list(unpaired_elders(county_officer)) == [elder]
        visits = Visit.objects.count()

        # when
        seed_demo(elders=100)

        # then his village's visitor is his primary again, the other stays a backup, and nobody got visits twice
        assert list(unpaired_elders(county_officer)) == []
        current = Pairing.objects.filter(elder=elder, ended_on__isnull=True).order_by("role")
        assert [(p.visitor, p.role) for p in current] == [
            (other, Pairing.Role.BACKUP),
            (own, Pairing.Role.PRIMARY),
        ]
        assert Visit.objects.count() == visits


def _readme_demo_logins() -> list[tuple[list[str], str, str]]:
    """README.md's demo log-in table: each row's usernames (`a02`–`a16` spelled out), role and region."""
    text = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    table = text.split("| user | role | region |\n|---|---|---|\n", 1)[1]
    rows = []
    for line in table.splitlines():
        if not line.startswith("|"):
            break
        users, role, region = (cell.strip() for cell in line.strip("|").split("|"))
        names = []
        for prefix, first, last, single in re.findall(r"`([a-z]+?)(\d+)`–`\1(\d+)`|`(\w+)`", users):
            if single:
                names.append(single)
            else:
                names.extend(f"{prefix}{n:0{len(first)}d}" for n in range(int(first), int(last) + 1))
        rows.append((names, role, region))
    return rows


def test_the_readme_lists_exactly_the_demo_logins(db):
    # when
    result = seed_demo(elders=0)

    # then every log-in the seed creates is in the table, and nothing else
    rows = _readme_demo_logins()
    assert sorted(name for names, _, _ in rows for name in names) == sorted(login.username for login in result.logins)
    # and each row's first log-in has the role and the region the table gives
    logins = {login.username: login for login in result.logins}
    for names, role, region in rows:
        login = logins[names[0]]
        assert role.startswith(str(login.role.label)), names[0]
        assert login.region.endswith(re.split(r" — | \(", region)[0]), names[0]


def test_every_demo_visit_has_its_form_and_a_few_wait_for_review(db):
    seed_demo(elders=300)

    records = list(VisitRecord.objects.select_related("visit", "template"))
    assert len(records) == Visit.objects.count()
    counted = [r for r in records if r.visit.outcome == "visited"]
    assert all(r.number for r in counted) and all(r.number is None for r in records if r not in counted)
    for record in counted[:200]:  # the answers are valid for the template they were filled with
        assert check_answers(record.template.form, record.answers).errors == []
    assert any(r.findings for r in counted)
    county_officer = User.objects.get(username="wuzhi")
    queue = list(review_queue(county_officer))
    assert queue and all(r.flags for r in queue)
    assert {f["code"] for r in records for f in r.flags} >= {"far_from_home", "no_position"}
