"""The one definition of due, due soon, overdue, visited this month and the month's denominator.

Every case is given / when / then with plain dates. D(m, d) is a day of 2026 unless a year is given.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tanfang.schedule.due import (
    DISABLED,
    HOME,
    PHONE,
    VIDEO,
    Contact,
    ElderFacts,
    Policy,
    Reason,
    State,
    StatusSpan,
    Surge,
    WhenAway,
    add_months,
    contact_at,
    declined_in_month,
    in_denominator,
    month_figures,
    month_standing,
    obligations,
    tighten,
    visited_in_month,
)

POLICY = Policy()


def D(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def elder(registered: dt.date, *statuses: tuple[str, dt.date], **kwargs: object) -> ElderFacts:
    return ElderFacts(
        registered_on=registered,
        statuses=tuple(StatusSpan(s, d) for s, d in statuses),
        **kwargs,  # type: ignore[arg-type]
    )


def owed(facts: ElderFacts, contacts: list[Contact], today: dt.date, **kwargs: object) -> list[tuple[Reason, dt.date]]:
    return [(o.reason, o.deadline) for o in obligations(facts, contacts, POLICY, today, **kwargs)]  # type: ignore[arg-type]


# --- visited this month, and month lengths ---------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [(2026, 1, 31), (2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 12, 31), (2100, 2, 28), (2000, 2, 29)],
)
def test_a_visit_on_the_last_day_of_any_month_counts_for_that_month_only(year, month, last):
    # given an elder registered long before, visited on the month's very last day
    facts = elder(dt.date(year - 1, 1, 1))
    contacts = [Contact(dt.date(year, month, last), HOME)]

    # then that month is visited, and the next one is not
    assert visited_in_month(facts, contacts, POLICY, year, month)
    following = add_months(dt.date(year, month, 1), 1)
    assert not visited_in_month(facts, contacts, POLICY, following.year, following.month)


def test_the_day_is_the_day_in_beijing_not_in_utc():
    # given a phone call at 00:30 on 1 November in Beijing, which is still 31 October in UTC
    moment = dt.datetime(2026, 10, 31, 16, 30, tzinfo=dt.UTC)

    contact = contact_at(moment, PHONE)

    # then it counts for November, not October
    facts = elder(D(1, 1))
    assert contact.day == D(11, 1)
    assert visited_in_month(facts, [contact], POLICY, 2026, 11)
    assert not visited_in_month(facts, [contact], POLICY, 2026, 10)


def test_the_beijing_day_ends_at_midnight_beijing_time():
    late = contact_at(dt.datetime(2026, 11, 30, 15, 59, 59, tzinfo=dt.UTC), HOME)  # 23:59:59 in Beijing
    next_day = contact_at(dt.datetime(2026, 11, 30, 16, 0, 0, tzinfo=dt.UTC), HOME)  # 00:00 on 1 December

    assert (late.day, next_day.day) == (D(11, 30), D(12, 1))


def test_several_visits_in_one_month_count_once_unless_the_policy_asks_for_more():
    facts = elder(D(1, 1))
    contacts = [Contact(D(3, 2), HOME), Contact(D(3, 20), PHONE)]
    twice = Policy(monthly_contacts=2)

    assert visited_in_month(facts, contacts[:1], POLICY, 2026, 3)
    assert visited_in_month(facts, contacts, twice, 2026, 3)
    assert not visited_in_month(facts, contacts[:1], twice, 2026, 3)


def test_methods_the_policy_does_not_count_are_not_visits():
    facts = elder(D(1, 1))
    home_only = Policy(counted_methods=frozenset({HOME}))

    assert not visited_in_month(facts, [Contact(D(3, 5), PHONE)], home_only, 2026, 3)
    assert visited_in_month(facts, [Contact(D(3, 5), HOME)], home_only, 2026, 3)


# --- the denominator ----------------------------------------------------------------------------


def test_an_elder_registered_mid_month_is_in_that_months_denominator():
    facts = elder(D(3, 15))

    assert in_denominator(facts, [], POLICY, 2026, 3)
    assert not in_denominator(facts, [], POLICY, 2026, 2)


def test_an_elder_registered_in_the_last_days_owes_the_first_visit_next_month():
    # given the default grace of 3 days: registered on 29 March (31-day month)
    facts = elder(D(3, 29))

    # then March does not count them, unless they were visited anyway
    assert not in_denominator(facts, [], POLICY, 2026, 3)
    assert in_denominator(facts, [Contact(D(3, 30), HOME)], POLICY, 2026, 3)
    assert in_denominator(facts, [], POLICY, 2026, 4)
    # and on 28 March they were still in time: registered on the 28th counts for March
    assert in_denominator(elder(D(3, 28)), [], POLICY, 2026, 3)


def test_the_grace_follows_the_months_length_in_february_of_a_leap_year():
    assert in_denominator(elder(D(2, 26, 2028)), [], POLICY, 2028, 2)  # 29 - 3 = 26
    assert not in_denominator(elder(D(2, 27, 2028)), [], POLICY, 2028, 2)
    assert in_denominator(elder(D(2, 25)), [], POLICY, 2026, 2)  # 28 - 3 = 25
    assert not in_denominator(elder(D(2, 26)), [], POLICY, 2026, 2)


def test_an_elder_who_dies_mid_month_counts_only_if_visited_before():
    facts = elder(D(1, 1), ("deceased", D(3, 10)))

    assert not in_denominator(facts, [], POLICY, 2026, 3)
    assert in_denominator(facts, [Contact(D(3, 5), HOME)], POLICY, 2026, 3)
    assert visited_in_month(facts, [Contact(D(3, 5), HOME)], POLICY, 2026, 3)
    assert not in_denominator(facts, [], POLICY, 2026, 4)


def test_a_contact_on_or_after_the_day_of_death_is_not_a_visit():
    facts = elder(D(1, 1), ("deceased", D(3, 10)))

    assert not visited_in_month(facts, [Contact(D(3, 10), HOME)], POLICY, 2026, 3)
    assert not in_denominator(facts, [Contact(D(3, 12), HOME)], POLICY, 2026, 3)


def test_moving_out_ends_the_obligation_on_that_date():
    facts = elder(D(1, 1), ("moved_out", D(6, 1)))

    assert in_denominator(facts, [], POLICY, 2026, 5)
    assert not in_denominator(facts, [], POLICY, 2026, 6)
    assert obligations(facts, [], POLICY, D(6, 15)) == []


def test_away_with_remote_contact_counting_needs_a_call_not_a_home_visit():
    facts = elder(D(1, 1), ("away", D(3, 1)))

    assert in_denominator(facts, [], POLICY, 2026, 3)
    assert visited_in_month(facts, [Contact(D(3, 9), PHONE)], POLICY, 2026, 3)
    assert visited_in_month(facts, [Contact(D(3, 9), VIDEO)], POLICY, 2026, 3)
    assert not visited_in_month(facts, [Contact(D(3, 9), HOME)], POLICY, 2026, 3)


def test_away_with_a_paused_policy_owes_nothing_until_back():
    paused = Policy(when_away=WhenAway.PAUSED)
    facts = elder(D(1, 1), ("hospitalised", D(3, 1)), ("active", D(4, 20)))

    assert not in_denominator(facts, [], paused, 2026, 3)
    assert obligations(facts, [], paused, D(3, 15)) == []
    # back on 20 April: April is owed, by its end
    assert in_denominator(facts, [], paused, 2026, 4)
    assert [(o.reason, o.deadline) for o in obligations(facts, [], paused, D(4, 21))] == [(Reason.MONTHLY, D(4, 30))]


def test_back_in_the_last_days_of_a_month_after_a_pause_owes_by_next_month():
    paused = Policy(when_away=WhenAway.PAUSED)
    facts = elder(D(1, 1), ("hospitalised", D(3, 1)), ("active", D(4, 29)))

    assert not in_denominator(facts, [], paused, 2026, 4)
    assert [o.deadline for o in obligations(facts, [], paused, D(4, 29))] == [D(5, 31)]


def test_month_figures_are_the_visit_rate():
    elders = [
        (elder(D(1, 1)), [Contact(D(3, 3), HOME)]),
        (elder(D(1, 1)), []),
        (elder(D(3, 30)), []),  # registered too late for March
        (elder(D(1, 1), ("deceased", D(3, 2))), []),  # died before any visit
    ]

    figures = month_figures(elders, POLICY, 2026, 3)

    assert (figures.denominator, figures.visited, figures.rate) == (2, 1, 0.5)


# --- due, due soon, overdue ----------------------------------------------------------------------


def test_this_month_is_due_then_due_soon_then_met():
    facts = elder(D(1, 1))
    visits = [Contact(D(2, 10), HOME)]  # February met

    early = obligations(facts, visits, POLICY, D(3, 2))
    late = obligations(facts, visits, POLICY, D(3, 25))

    assert [(o.reason, o.deadline, o.state(D(3, 2), POLICY)) for o in early] == [(Reason.MONTHLY, D(3, 31), State.DUE)]
    assert late[0].state(D(3, 25), POLICY) == State.DUE_SOON and late[0].days_left(D(3, 25)) == 6
    assert obligations(facts, [*visits, Contact(D(3, 26), PHONE)], POLICY, D(3, 27)) == []


def test_a_missed_month_is_overdue_from_the_first_of_the_next_until_a_contact():
    facts = elder(D(1, 1))
    visits = [Contact(D(1, 20), HOME)]  # January met, February missed

    on_first = obligations(facts, visits, POLICY, D(3, 1))

    assert [(o.reason, o.deadline) for o in on_first] == [(Reason.MONTHLY, D(2, 28)), (Reason.MONTHLY, D(3, 31))]
    assert on_first[0].state(D(3, 1), POLICY) == State.OVERDUE
    assert on_first[0].days_left(D(3, 1)) == -1
    # a contact in March ends both; February stays missed in the figures
    assert obligations(facts, [*visits, Contact(D(3, 2), PHONE)], POLICY, D(3, 3)) == []
    assert not visited_in_month(facts, visits, POLICY, 2026, 2)


def test_months_missed_in_a_row_count_overdue_from_the_first_of_them():
    facts = elder(D(1, 1))

    first = obligations(facts, [Contact(D(1, 10), HOME)], POLICY, D(4, 10))[0]

    assert (first.deadline, first.days_left(D(4, 10))) == (D(2, 28), -41)


def test_a_visit_on_the_last_day_of_the_month_prevents_overdue_the_next_morning():
    facts = elder(D(1, 1))
    last_day_call = contact_at(dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC), PHONE)  # 23:30 in Beijing

    assert [o.deadline for o in obligations(facts, [Contact(D(2, 2), HOME), last_day_call], POLICY, D(4, 1))] == [
        D(4, 30)
    ]


def test_an_elder_registered_mid_month_is_due_by_the_end_of_it():
    facts = elder(D(3, 15))

    assert owed(facts, [], D(3, 15)) == [(Reason.MONTHLY, D(3, 31))]


def test_nothing_is_owed_before_registration_or_after_death():
    assert obligations(elder(D(3, 15)), [], POLICY, D(3, 14)) == []
    assert obligations(elder(D(1, 1), ("deceased", D(3, 15))), [], POLICY, D(3, 15)) == []


# --- high risk and 失能 --------------------------------------------------------------------------


def test_high_risk_is_owed_every_seven_days_from_the_last_contact():
    facts = elder(D(1, 1), high_risk=True)
    visits = [Contact(D(3, 2), HOME), Contact(D(3, 10), PHONE)]

    weekly = [o for o in obligations(facts, visits, POLICY, D(3, 12)) if o.reason == Reason.HIGH_RISK]
    late = [o for o in obligations(facts, visits, POLICY, D(3, 18)) if o.reason == Reason.HIGH_RISK]

    assert [o.deadline for o in weekly] == [D(3, 17)]
    assert late[0].state(D(3, 18), POLICY) == State.OVERDUE


def test_disabled_elders_owe_a_home_visit_every_three_months_even_with_monthly_calls():
    facts = elder(D(1, 1), groups=frozenset({DISABLED}))
    calls = [Contact(D(m, 5), PHONE) for m in (2, 3, 4, 5)]
    home = [Contact(D(1, 31), HOME)]

    due = [o for o in obligations(facts, home + calls, POLICY, D(4, 20)) if o.reason == Reason.DISABLED_HOME]
    later = [o for o in obligations(facts, home + calls, POLICY, D(5, 1)) if o.reason == Reason.DISABLED_HOME]

    assert [o.deadline for o in due] == [D(4, 30)]  # 31 January + 3 months = 30 April
    assert later[0].state(D(5, 1), POLICY) == State.OVERDUE
    assert later[0].methods == frozenset({HOME})


def test_a_disabled_elder_in_hospital_owes_no_home_visit_meanwhile():
    facts = elder(D(1, 1), ("hospitalised", D(4, 1)), groups=frozenset({DISABLED}))

    reasons = {o.reason for o in obligations(facts, [], POLICY, D(4, 20))}

    assert Reason.DISABLED_HOME not in reasons and Reason.MONTHLY in reasons


# --- surges ------------------------------------------------------------------------------------


MID_AUTUMN = Surge("festival:mid_autumn:2026", "festival", "中秋节", D(9, 22), D(9, 28))
COLD_WAVE = Surge("weather:1", "weather", "寒潮", D(11, 28), D(12, 3), frozenset({"living_alone", DISABLED}))


def test_a_festival_surge_is_owed_inside_its_window_for_everyone():
    facts = elder(D(1, 1))
    met_september = [Contact(D(9, 2), HOME)]

    during = obligations(facts, met_september, POLICY, D(9, 23), surges=[MID_AUTUMN])

    assert [(o.reason, o.deadline, o.label) for o in during] == [(Reason.FESTIVAL, D(9, 28), "中秋节")]
    assert obligations(facts, [*met_september, Contact(D(9, 25), PHONE)], POLICY, D(9, 26), surges=[MID_AUTUMN]) == []
    assert obligations(facts, met_september, POLICY, D(9, 21), surges=[MID_AUTUMN]) == []  # not yet


def test_a_weather_surge_across_a_month_end_is_met_by_one_call_and_only_for_its_groups():
    alone = elder(D(1, 1), groups=frozenset({"living_alone"}))
    other = elder(D(1, 1), groups=frozenset({"empty_nest"}))
    november = [Contact(D(11, 3), HOME)]

    # on 1 December the November visit does not meet the cold wave; the surge runs to 3 December
    on_first = owed(alone, november, D(12, 1), surges=[COLD_WAVE])
    assert (Reason.WEATHER, D(12, 3)) in on_first
    assert (Reason.WEATHER, D(12, 3)) not in owed(other, november, D(12, 1), surges=[COLD_WAVE])

    # a call on 30 November falls in the window: it meets the surge (and November)
    assert owed(alone, [*november, Contact(D(11, 30), PHONE)], D(12, 1), surges=[COLD_WAVE]) == [
        (Reason.MONTHLY, D(12, 31))
    ]
    # a call on 2 December meets the surge and December at once
    assert owed(alone, [*november, Contact(D(12, 2), PHONE)], D(12, 3), surges=[COLD_WAVE]) == []


def test_a_missed_surge_is_overdue_until_a_contact_or_for_thirty_days():
    facts = elder(D(1, 1))
    before_window = [Contact(D(9, 2), HOME)]

    after = owed(facts, before_window, D(10, 5), surges=[MID_AUTUMN])
    contacted = owed(facts, [*before_window, Contact(D(10, 1), PHONE)], D(10, 5), surges=[MID_AUTUMN])
    day_30 = owed(facts, before_window, D(10, 28), surges=[MID_AUTUMN])
    day_31 = owed(facts, before_window, D(10, 29), surges=[MID_AUTUMN])

    assert (Reason.FESTIVAL, D(9, 28)) in after
    assert (Reason.FESTIVAL, D(9, 28)) not in contacted
    assert (Reason.FESTIVAL, D(9, 28)) in day_30
    assert (Reason.FESTIVAL, D(9, 28)) not in day_31


# --- policy inheritance ------------------------------------------------------------------------


def test_a_county_may_tighten_the_province_policy_never_loosen_it():
    province = Policy(monthly_contacts=1, disabled_home_visit_months=3, counted_methods=frozenset({HOME, PHONE, VIDEO}))
    looser = Policy(monthly_contacts=0, disabled_home_visit_months=6, when_away=WhenAway.PAUSED)
    stricter = Policy(monthly_contacts=2, disabled_home_visit_months=2, counted_methods=frozenset({HOME}))

    kept = tighten(province, looser)
    tightened = tighten(province, stricter)

    assert (kept.monthly_contacts, kept.disabled_home_visit_months, kept.when_away) == (1, 3, WhenAway.REMOTE_COUNTS)
    assert (tightened.monthly_contacts, tightened.disabled_home_visit_months) == (2, 2)
    assert tightened.counted_methods == frozenset({HOME})


def test_add_months_keeps_to_the_end_of_shorter_months():
    assert add_months(D(1, 31), 1) == D(2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(D(11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(D(3, 31), -1) == D(2, 28)


# --- hazard re-checks -------------------------------------------------------------------


def _rechecks(*contacts: Contact, status: str = "active", today: dt.date | None = None) -> list:
    from tanfang.schedule.due import Recheck

    today = today or D(11, 20)
    facts = ElderFacts(
        registered_on=D(1, 1),
        statuses=(StatusSpan(status, D(1, 1)),),
        rechecks=(Recheck(found_on=D(11, 10), by=D(12, 10), label="住房隐患"),),
    )
    return [o for o in obligations(facts, list(contacts), POLICY, today) if o.reason == Reason.HAZARD_RECHECK]


def test_a_hazard_owes_a_home_visit_by_its_recheck_day():
    # given a hazard found on 10 November, to be re-checked by 10 December, and no visit since
    # then a home visit is owed by 10 December
    (owed,) = _rechecks(Contact(D(11, 10), HOME))
    assert owed.deadline == D(12, 10) and owed.methods == frozenset({HOME}) and owed.label == "住房隐患"


def test_a_later_home_visit_meets_the_recheck_but_a_phone_call_does_not():
    assert _rechecks(Contact(D(11, 15), HOME)) == []
    assert len(_rechecks(Contact(D(11, 15), PHONE))) == 1


def test_an_unmet_recheck_is_overdue_the_day_after():
    (owed,) = _rechecks(today=D(12, 11))
    assert owed.state(D(12, 11), POLICY) == State.OVERDUE
    assert owed.state(D(12, 10), POLICY) != State.OVERDUE


def test_no_recheck_is_owed_while_the_elder_is_in_hospital():
    assert _rechecks(status="hospitalised") == []


# --- elders who declined visits (意愿：不愿意) ------------------------------------------------------


def test_an_elder_who_declined_is_left_out_of_the_denominator_and_owes_no_monthly_visit():
    # Given an elder registered long ago who declined visits
    facts = ElderFacts(registered_on=D(1, 1), declined=True)
    # When November is looked at, with no contact
    # Then the elder is not among those to be visited, owes no monthly visit, and is counted as declined
    assert not in_denominator(facts, [], POLICY, 2026, 11)
    assert declined_in_month(facts, [], POLICY, 2026, 11)
    assert not [o for o in obligations(facts, [], POLICY, D(11, 20)) if o.reason == Reason.MONTHLY]


def test_a_region_may_count_those_who_declined():
    # Given a policy that counts elders who declined
    counting = Policy(count_declined=True)
    facts = ElderFacts(registered_on=D(1, 1), declined=True)
    # Then they are in the denominator, owe the monthly visit, and are not set apart as declined
    assert in_denominator(facts, [], counting, 2026, 11)
    assert not declined_in_month(facts, [], counting, 2026, 11)
    assert [o for o in obligations(facts, [], counting, D(11, 20)) if o.reason == Reason.MONTHLY]
    # and a stricter child keeps counting them when the parent does
    assert tighten(counting, POLICY).count_declined and tighten(POLICY, counting).count_declined


def test_an_elder_who_declined_but_was_visited_counts_as_visited():
    # Given an elder who declined but was visited in November anyway
    facts = ElderFacts(registered_on=D(1, 1), declined=True)
    contacts = [Contact(D(11, 3), HOME)]
    # Then the visit counts like any visit made: in the denominator, visited, not set apart
    assert in_denominator(facts, contacts, POLICY, 2026, 11)
    assert visited_in_month(facts, contacts, POLICY, 2026, 11)
    assert not declined_in_month(facts, contacts, POLICY, 2026, 11)


def test_a_deceased_elder_who_had_declined_is_not_counted_as_declined_after_death():
    # Given an elder who declined and died in October
    facts = ElderFacts(registered_on=D(1, 1), declined=True, statuses=(StatusSpan("deceased", D(10, 5)),))
    # Then November counts them nowhere
    assert not in_denominator(facts, [], POLICY, 2026, 11)
    assert not declined_in_month(facts, [], POLICY, 2026, 11)


def test_the_method_of_a_month_is_the_strongest_counted_contact():
    facts = ElderFacts(registered_on=D(1, 1))
    # Given a phone call and a home visit in November, a video call in December
    contacts = [Contact(D(11, 3), PHONE), Contact(D(11, 20), HOME), Contact(D(12, 1), VIDEO)]
    # Then November was a home visit, December a video visit, and October nothing
    assert month_standing(facts, contacts, POLICY, 2026, 11).method == HOME
    assert month_standing(facts, contacts, POLICY, 2026, 12).method == VIDEO
    assert month_standing(facts, contacts, POLICY, 2026, 10).method == ""


def test_a_month_short_of_the_required_contacts_is_owed_but_has_no_method():
    # Given a policy of two contacts a month, and one phone call in November
    twice = Policy(monthly_contacts=2)
    facts = ElderFacts(registered_on=D(1, 1))
    standing = month_standing(facts, [Contact(D(11, 3), PHONE)], twice, 2026, 11)
    # Then November is in the denominator, not visited, with one counted contact and no method yet
    assert (standing.to_visit, standing.visited, standing.contacts, standing.method) == (True, False, 1, "")
    assert not standing.declined


def test_an_unwilling_elder_reached_anyway_is_counted_and_not_declined():
    # Given an elder who declined visits, and a home visit made anyway in November
    facts = ElderFacts(registered_on=D(1, 1), declined=True)
    standing = month_standing(facts, [Contact(D(11, 3), HOME)], POLICY, 2026, 11)
    # Then November counts them as visited at home, not as declined; December as declined
    assert (standing.to_visit, standing.visited, standing.method, standing.declined) == (True, True, HOME, False)
    december = month_standing(facts, [Contact(D(11, 3), HOME)], POLICY, 2026, 12)
    assert (december.to_visit, december.declined, december.contacts) == (False, True, 0)
