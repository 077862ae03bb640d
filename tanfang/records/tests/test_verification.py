"""Verification signals: each rule at its edge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tanfang.core.time import LOCAL_TZ
from tanfang.records.verification import OtherVisit, Position, VisitFacts, check, distance_m, flag_message

HOME = Position(35.100000, 113.400000)
AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=LOCAL_TZ)


def facts(**changes) -> VisitFacts:
    values: dict[str, Any] = {
        "home_visit": True,
        "occurred_at": AT,
        "submitted_at": AT + dt.timedelta(minutes=20),
        "checkin_at": AT,
        "position": HOME,
        "home": HOME,
    } | changes
    return VisitFacts(**values)


def codes(flags) -> list[str]:
    return [f.code for f in flags]


def test_an_ordinary_home_visit_raises_nothing():
    assert check(facts()) == []


def test_distance_is_the_great_circle_distance():
    # one thousandth of a degree of latitude is about 111 m everywhere
    assert distance_m(HOME, Position(35.101, 113.4)) == pytest.approx(111.2, abs=0.5)
    assert distance_m(HOME, HOME) == 0


@pytest.mark.parametrize(("north_m", "flagged"), [(450, False), (560, True)])
def test_checked_in_far_from_the_home(north_m, flagged):
    position = Position(HOME.latitude + north_m / 111_195, HOME.longitude)

    flags = check(facts(position=position))

    assert ("far_from_home" in codes(flags)) is flagged


def test_no_position_on_a_home_visit_is_flagged_but_not_on_a_phone_call():
    assert codes(check(facts(position=None))) == ["no_position"]
    assert check(facts(home_visit=False, position=None)) == []


def test_an_unknown_home_cannot_be_far_from_anything():
    assert check(facts(home=None, position=Position(36, 114))) == []


@pytest.mark.parametrize(("minutes", "flagged"), [(4.5, True), (5, False)])
def test_too_short_between_check_in_and_submission(minutes, flagged):
    flags = check(facts(submitted_at=AT + dt.timedelta(minutes=minutes)))

    assert ("short_visit" in codes(flags)) is flagged


@pytest.mark.parametrize(("hour", "flagged"), [(6, True), (7, False), (20, False), (21, True), (23, True)])
def test_visits_at_night_by_shanghai_time(hour, flagged):
    moment = dt.datetime(2026, 11, 20, hour, 30, tzinfo=LOCAL_TZ).astimezone(dt.UTC)

    flags = check(facts(occurred_at=moment, checkin_at=moment, submitted_at=moment + dt.timedelta(minutes=30)))

    assert ("odd_hour" in codes(flags)) is flagged


def test_a_photo_seen_on_another_elder_names_those_visits():
    flags = check(facts(), reused_photo_visits=[12, 7, 12])

    assert [f.as_dict() for f in flags] == [{"code": "photo_reused", "visits": [7, 12]}]
    assert flag_message(flags[0].as_dict()) == "照片与其他老人的探访记录相同（记录 7、12）"


def test_two_home_visits_too_far_apart_for_the_time_between_them():
    ten_km_east = Position(HOME.latitude, HOME.longitude + 10 / (111.195 * 0.8181))
    quick = OtherVisit(5, AT - dt.timedelta(minutes=5), ten_km_east)  # 120 km/h
    slow = OtherVisit(6, AT - dt.timedelta(minutes=30), ten_km_east)  # 20 km/h
    near = OtherVisit(7, AT, Position(HOME.latitude + 0.01, HOME.longitude))  # 1.1 km, same minute

    assert codes(check(facts(), others=[quick])) == ["too_far_apart"]
    assert check(facts(), others=[slow]) == []
    assert check(facts(), others=[near]) == []
    assert check(facts(home_visit=False), others=[quick]) == []


def test_every_flag_reads_in_chinese():
    flags = check(
        facts(
            position=Position(35.2, 113.4),
            submitted_at=AT + dt.timedelta(minutes=2),
            occurred_at=AT.replace(hour=22),
            checkin_at=AT.replace(hour=22) - dt.timedelta(minutes=2),
        ),
        reused_photo_visits=[3],
    )

    messages = [flag_message(f.as_dict()) for f in flags]
    assert messages[0].startswith("签到位置距老人住址")
    assert all(m and not m.isascii() for m in messages)
