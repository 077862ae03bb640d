import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from tanfang.accounts.models import User
from tanfang.conftest import Tree
from tanfang.core.crypto import field_cipher
from tanfang.core.id_numbers import age_on, parse_citizen_id
from tanfang.core.roles import RegionLevel, Role
from tanfang.core.time import local_today
from tanfang.devtools import demo
from tanfang.devtools.demo import seed_demo
from tanfang.devtools.demo_elders import ELDER_CHILD_MODELS, Village, generate_elders
from tanfang.elders.models import ID_NUMBER_CONTEXT, Elder
from tanfang.regions.models import Region

VILLAGES = [Village("410823001001", "建设社区居民委员会", "410000/410800/410823/410823001000/410823001001/")]


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
        assert elder.id_number_masked == number[:4] + "*" * 10 + number[-4:]
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


def test_the_demo_pairs_every_elder_and_gives_the_demo_visitor_a_work_list(db):
    from tanfang.schedule.models import ElderDue
    from tanfang.schedule.selectors import visitor_of, worklist
    from tanfang.visitors.models import Pairing
    from tanfang.visits.models import Visit

    seed_demo(elders=150)

    elders = Elder.objects.exclude(status__in=["deceased", "moved_out"])
    assert all(Pairing.objects.filter(elder=e, ended_on__isnull=True, role="primary").exists() for e in elders)
    assert Visit.objects.count() > 150 * 6  # about a year of monthly visits, with gaps
    assert Visit.objects.exclude(outcome="visited").exists()  # and some attempts
    assert ElderDue.objects.count() == Elder.objects.count()
    visitor = visitor_of(User.objects.get(username="visitor"))
    items = worklist(visitor, local_today())
    assert items and {i.elder.region_id for i in items} == {visitor.region_id}


def test_every_demo_visit_has_its_form_and_a_few_wait_for_review(db):
    from tanfang.records.formdefs import check_answers
    from tanfang.records.models import VisitRecord
    from tanfang.records.selectors import review_queue
    from tanfang.visits.models import Visit

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
