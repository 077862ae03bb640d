"""Masks that hold: everything a role that may not reveal is shown of an elder, taken together, leaves at
least 10,000 possible ID numbers (ARCHITECTURE rule 6; elders.disclosure).

The counter below works from what was shown, not from what the code means to show: it reads the
rendered pages, the API's JSON, the export, the printed form and the audit log as a person with that
role gets them, takes every mask, date, year, age and 高龄 badge it finds there that fits the elder's real
number, and counts the 18-character numbers that agree with all of them (the county, the sex's
parity in the 17th digit, a valid check character). It reads an age either way a person could (full
years on the day, or this year minus the birth year) and keeps the reading that narrows more, so a page
that shows the whole birth date again, or an exact age beside the year, or one more digit of the
number, fails here.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from tanfang.core.crypto import field_cipher
from tanfang.core.id_numbers import MIN_CANDIDATES, Sex, age_on, make_citizen_id
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.demo_elders import Village, generate_elders, insert_elder_rows
from tanfang.devtools.factories import make_elder, make_user, record_test_visit
from tanfang.elders.inputs import BenefitInput, ContactInput, GroupInput, MemberInput, SupporterInput
from tanfang.elders.models import ID_NUMBER_CONTEXT, Elder, Group, Status
from tanfang.elders.services import change_status, input_from_elder, update_elder
from tanfang.visitors.models import Visitor
from tanfang.visitors.services import VisitorInput, create_visitor, pair

TODAY = dt.date(2026, 5, 20)
JIANSHE = "410823001001"
DEMO_VILLAGES = [Village(JIANSHE, "建设社区居民委员会", "410000/410800/410823/410823001000/410823001001/")]
OLD_OLD_AGE = 80


# --- what was shown, and how many numbers agree with it ------------------------------------------------


@dataclass
class Shown:
    """Everything found in what one role was shown of one elder."""

    texts: list[str] = field(default_factory=list)
    old_old: set[bool] = field(default_factory=set)  # 高龄 badges and flags, where they could be read

    def add(self, text: str) -> None:
        self.texts.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def page_text(content: bytes) -> tuple[str, set[bool]]:
    """A page's visible text, and its 高龄 badges (a badge is shown or not: its absence says "not 高龄")."""
    raw = content.decode()
    badges = {True} if re.search(r"badge[^>]*>\s*高龄\s*<", raw) else {False}
    # the page's own words (a filter's "60–69岁") are not about the elder: drop scripts and choice lists
    body = re.sub(r"<(script|style|select)\b.*?</\1>", " ", raw.split("<main", 1)[-1], flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    # attributes may say things too (a title, a value)
    attributes = " ".join(html.unescape(v) for v in re.findall(r'(?:title|value|aria-label)="([^"]*)"', body))
    return text + " " + attributes, badges


def json_text(value: object) -> tuple[str, set[bool]]:
    flags: set[bool] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "old_old" and isinstance(item, bool):
                    flags.add(item)
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    text = json.dumps(value, ensure_ascii=False)
    # "age": 80 → "80岁", so ages in JSON are read like ages on a page
    text += " " + " ".join(f"{a}岁" for a in re.findall(r'"age": (\d+)', text))
    return text, flags


def xlsx_text(content: bytes, name: str) -> tuple[str, set[bool]]:
    """The export's rows for this elder, each cell labelled by its header."""
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    parts, flags = [], set()
    for row in rows[1:]:
        if row[0] != name:
            continue
        for title, value in zip(header, row, strict=True):
            if value in (None, ""):
                value = ""
            parts.append(f"{title}:{value}")
            if title.startswith("年龄"):
                parts.append(f"{value}岁")
            if title == "高龄":
                flags.add(value == "是")
    return " ".join(parts), flags


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


_MASK = re.compile(r"(?<![0-9X*])[0-9X*]{18}(?:[0-9*]{2})?(?![0-9X*])")  # ID numbers and 20-character certificates
_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_DIGITS8 = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})(?![\d\-/.月])")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_AGE = re.compile(r"(?<!\d)(\d{1,3})\s*岁")


def full_years(day: dt.date, years: int, today: dt.date) -> bool:
    return age_on(day, today) == years


def by_year(day: dt.date, years: int, today: dt.date) -> bool:
    return today.year - day.year == years


READINGS = (full_years, by_year)  # the two ways a person may read "80岁"


def plausible_readings(samples: Iterable[tuple[Shown, str]], today: dt.date) -> tuple:
    """The readings of an age that fit every elder's real birth date: what a reader who knows a few
    elders learns of how the system counts ages (a reading that happens to fit one elder is not enough)."""
    samples = list(samples)
    return tuple(
        read
        for read in READINGS
        if all(
            any(read(_birth(number), int(a), today) for a in _AGE.findall(shown.text))
            for shown, number in samples
            if _AGE.search(shown.text)
        )
    )


def _birth(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def candidates(shown: Shown, number: str, *, today: dt.date, readings: tuple = READINGS) -> int:
    """How many valid 18-character numbers agree with what was shown, for the elder whose number it is.

    Only what fits the real number is used (a page shows other people's masks and ages too), and the
    county is taken as known. An age or a 高龄 badge is read each of the `readings` ways that fit the
    real birth date, and the reading that leaves fewest days is kept. Raises AssertionError if the real
    number is not among those counted: the counter would then be reading the page wrong.
    """
    text = shown.text
    birth = _birth(number)
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    masks = [m[:18] for m in _MASK.findall(text) if all(c in ("*", n) for c, n in zip(m, number, strict=False))]
    if number in masks:
        return 1
    known = {i: c for m in masks for i, c in enumerate(m) if c != "*" and i >= 6}

    # The birth dates a reader is left with.
    days = list(_days(dt.date(1880, 1, 1), today))
    whole_dates = {_date(*m) for m in _DATE.findall(text)}
    whole_dates |= {_date(s[:4], s[4:6], s[6:]) for s in _DIGITS8.findall(text)}
    if birth in whole_dates:
        days = [birth]
    if (str(birth.year), birth.month) in {(y, int(m)) for y, m in _YEAR_MONTH.findall(text)}:
        days = [d for d in days if (d.year, d.month) == (birth.year, birth.month)]
    if str(birth.year) in set(_YEAR.findall(text)):
        days = [d for d in days if d.year == birth.year]
    for years in {int(a) for a in _AGE.findall(text)}:
        days = _narrowest(days, birth, [lambda d, r=read, y=years: r(d, y, today) for read in readings])
    for flag in shown.old_old:
        days = _narrowest(days, birth, [lambda d, r=read, f=flag: _old_old(r, d, today) == f for read in readings])

    # Every sequence of the right parity on every day left, checked against what the masks show.
    odd = sex == Sex.MALE
    if not known:
        count = len(days) * 500
    else:
        count = sum(
            1
            for d in days
            for sequence in range(1 if odd else 0, 1000, 2)
            if _agrees(make_citizen_id(number[:6], d, sequence), known)
        )
    assert birth in days and (not known or _agrees(number, known)), "the counter lost the real number"
    return count


def _old_old(read, day: dt.date, today: dt.date) -> bool:
    """高龄 as the reading counts ages: 80 or more."""
    return any(read(day, years, today) for years in range(OLD_OLD_AGE, 130))


def _narrowest(days: list[dt.date], birth: dt.date, tests: Iterable) -> list[dt.date]:
    """Of the readings that fit the real birth date, the one that leaves the fewest days."""
    fitting = [[d for d in days if test(d)] for test in tests if test(birth)]
    return min(fitting, key=len) if fitting else days


def _agrees(number: str, known: dict[int, str]) -> bool:
    return all(number[i] == c for i, c in known.items())


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _date(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


# --- the counter itself ----------------------------------------------------------------------------------


NUMBER = make_citizen_id("410823", dt.date(1946, 12, 31), 62)


def shown_as(*texts: str, old_old: set[bool] | None = None) -> Shown:
    return Shown(texts=list(texts), old_old=old_old or set())


def test_the_counter_finds_a_whole_birth_date_and_an_exact_age():
    year_only = candidates(shown_as("410823************ 女 1946年 80岁"), NUMBER, today=TODAY)
    whole_date = candidates(shown_as("410823************ 女 1946-12-31"), NUMBER, today=TODAY)
    exact_age = candidates(shown_as("410823************ 女 1946年 79岁"), NUMBER, today=TODAY)

    assert year_only == 365 * 500
    assert whole_date == 500
    assert exact_age == (dt.date(1946, 12, 31) - dt.date(1946, 5, 20)).days * 500  # born after 20 May


def test_the_counter_finds_the_last_four_of_an_old_mask():
    old_mask = NUMBER[:4] + "*" * 10 + NUMBER[-4:]

    count = candidates(shown_as(f"{old_mask} 女 1946年"), NUMBER, today=TODAY)

    assert count < 400  # the sequence is known, and the check character leaves a day in eleven


def test_the_counter_reads_a_badge_computed_from_the_exact_date():
    # 80 by the year, 79 by the day: "not 高龄" beside the year says the birthday is still to come
    count = candidates(shown_as("410823************ 女 1946年", old_old={False}), NUMBER, today=TODAY)

    assert count == (dt.date(1946, 12, 31) - dt.date(1946, 5, 20)).days * 500


# --- what each role is shown, for demo elders and for one with everything filled in ----------------------


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield


@pytest.fixture
def elders(tree, officer_county_north) -> list[tuple[Elder, str]]:
    """Twelve demo elders and one with every section filled in, edited, moved and visited; with their numbers."""
    rows = generate_elders(
        random.Random(2023), DEMO_VILLAGES, 12, today=TODAY, cipher=field_cipher(), county_code="410823"
    )
    insert_elder_rows(rows)
    birth = dt.date(1946, 12, 31)  # 80 by the year, 79 on the day
    full = make_elder(
        officer_county_north,
        "韩秀云",
        JIANSHE,
        birth=birth,
        sequence=62,
        registered_on=dt.date(2025, 3, 1),
        phone="13812345678",
        phone2="037112345678",
        disability_certificate=make_citizen_id("410823", birth, 62) + "42",
        disability_grade=2,
        disability_type="physical",
        groups=[GroupInput(Group.LIVING_ALONE), GroupInput(Group.DISABLED)],
        contacts=[ContactInput("韩军", "儿子", "13900005678")],
        supporters=[SupporterInput("韩军", "儿子", "13900005678", "郑州")],
        household=[
            MemberInput("韩秀云", "户主", sex="F", id_number=make_citizen_id("410823", birth, 62)),
            MemberInput("韩军", "儿子", sex="M", id_number=make_citizen_id("410823", dt.date(1970, 5, 6), 51)),
        ],
        benefits=[BenefitInput("pension", Decimal(180))],
    )
    data = input_from_elder(full)
    data.phone = "13812340000"
    update_elder(actor=officer_county_north, elder=full, data=data)
    change_status(actor=officer_county_north, elder=full, status=Status.HOSPITALISED, since=dt.date(2026, 5, 1))
    visitor = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="李华", kind="volunteer", region_code=JIANSHE)
    )
    pair(actor=officer_county_north, elder=full, visitor=visitor, on=dt.date(2025, 3, 1))
    record_test_visit(
        officer_county_north,
        full,
        visitor_id=visitor.pk,
        method="phone",
        occurred_at=dt.datetime(2026, 5, 18, 10, tzinfo=LOCAL_TZ),
    )
    cipher = field_cipher()
    return [
        (e, cipher.decrypt(bytes(e.id_number_cipher), context=ID_NUMBER_CONTEXT)) for e in Elder.objects.order_by("pk")
    ]


def what_is_shown(client, elder: Elder) -> Shown:
    """Every page, answer, file and audit entry about the elder that the client's role gets."""
    shown = Shown()
    for url in (f"/elders/{elder.pk}/", f"/elders/?q={elder.name}", f"/records/elders/{elder.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text, badges = page_text(response.content)
        shown.add(text)
        if url == f"/elders/{elder.pk}/":
            shown.old_old |= badges
    for url in (f"/api/v1/elders/{elder.pk}", f"/api/v1/elders?q={elder.name}"):
        body = client.get(url).json()
        if "items" in body:
            body = [item for item in body["items"] if item["id"] == elder.pk]
        text, flags = json_text(body)
        shown.add(text)
        shown.old_old |= flags
    text, flags = xlsx_text(client.get("/elders/export.xlsx").content, elder.name)
    shown.add(text)
    shown.old_old |= flags
    events = client.get("/api/v1/audit-events", {"subject": f"elders.elder:{elder.pk}", "page_size": 200}).json()
    shown.add(json_text(events)[0])
    for visit in client.get(f"/api/v1/elders/{elder.pk}/visits").json()["items"]:
        shown.add(json_text(visit)[0])
        shown.add(page_text(client.get(f"/records/visits/{visit['id']}/").content)[0])
        shown.add(pdf_text(client.get(visit["form_pdf"]).content))
    return shown


@pytest.mark.parametrize("role", ["supervisor_north", "officer_province", "officer_city"])
def test_a_role_that_may_not_reveal_is_left_at_least_10000_numbers_for_every_elder(role, elders, as_user, request):
    # given a role that may not reveal personal numbers
    client = as_user(request.getfixturevalue(role))

    # when everything it is shown of each elder is read, ages the way that fits them all
    shown = [(what_is_shown(client, elder), number) for elder, number in elders]
    readings = plausible_readings(shown, TODAY)
    counts = {
        elder.name: candidates(seen, number, today=TODAY, readings=readings)
        for (elder, _number), (seen, number) in zip(elders, shown, strict=True)
    }

    # then each elder keeps at least 10,000 possible numbers: a whole year of days × 500 sequences
    assert min(counts.values()) >= MIN_CANDIDATES, counts
    assert set(counts.values()) <= {365 * 500, 366 * 500}, counts


def test_the_visits_and_the_audit_log_were_read(elders, supervisor_north, as_user):
    # the reading above reached the printed form and the history of the elder with everything
    full = next(e for e, _number in elders if e.name == "韩秀云")

    shown = what_is_shown(as_user(supervisor_north), full)

    assert "特殊困难老年人探访关爱服务记录表" in shown.text  # the printed form
    assert "elder.updated" in shown.text and "138*****000" in shown.text  # the audit log, the new phone
    assert "410823**************" in shown.text  # the disability certificate, masked
    assert "1946" in shown.text and shown.old_old == {True}


def what_a_visitor_is_shown(client, elder: Elder) -> Shown:
    """Everything a paired visitor's log-in gets about the elder: its work list, form, visits and their forms."""
    shown = Shown()
    for url in ("/worklist/", f"/records/elders/{elder.pk}/new/", f"/records/elders/{elder.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        text, badges = page_text(response.content)
        shown.add(text)
        shown.old_old |= badges
    worklist = client.get("/api/v1/worklist").json()
    text, flags = json_text(worklist)
    shown.add(text)
    shown.old_old |= flags
    for visit in client.get(f"/api/v1/elders/{elder.pk}/visits").json()["items"]:
        shown.add(json_text(visit)[0])
        shown.add(page_text(client.get(f"/records/visits/{visit['id']}/").content)[0])
        shown.add(pdf_text(client.get(visit["form_pdf"]).content))
    return shown


def test_the_paired_visitor_is_left_at_least_10000_numbers(elders, tree, as_user):
    # given the visitor log-in paired with the elder whose every section is filled in
    full, number = next((e, n) for e, n in elders if e.name == "韩秀云")
    user = make_user("visitor_lihua", Role.VISITOR, [tree.jianshe], display_name="志愿者李华")
    Visitor.objects.filter(name="李华").update(user=user)

    # when everything it is shown of that elder is read
    shown = what_a_visitor_is_shown(as_user(user), full)

    # then the elder keeps at least 10,000 numbers (a visitor is shown no birth year at all)
    assert "韩秀云" in shown.text and "特殊困难老年人探访关爱服务记录表" in shown.text  # form and printed form read
    assert candidates(shown, number, today=TODAY) >= MIN_CANDIDATES
