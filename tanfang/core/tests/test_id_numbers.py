"""Tests for citizen ID number parsing, building, masking and ages."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanfang.core.id_numbers import (
    MIN_CANDIDATES,
    CitizenId,
    IdNumberError,
    Sex,
    age_on,
    check_character,
    looks_like_id_number,
    make_citizen_id,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    parse_citizen_id,
)

# A fixed "today" keeps the future-date rule from depending on the day the tests run.
TODAY = dt.date(2025, 6, 1)

# The sample number published with GB 11643-1999.
STANDARD_SAMPLE = "11010519491231002X"


def parse(raw: str) -> CitizenId:
    return parse_citizen_id(raw, today=TODAY)


def error_of(raw: str) -> str:
    with pytest.raises(IdNumberError) as caught:
        parse(raw)
    return str(caught.value)


# --- the standard sample -------------------------------------------------------------


def test_standard_sample_parses_to_a_woman_born_on_31_december_1949() -> None:
    # given the sample number from the standard
    # when it is parsed
    citizen = parse(STANDARD_SAMPLE)

    # then every part is read from it
    assert citizen == CitizenId(
        number="11010519491231002X",
        region_code="110105",
        birth_date=dt.date(1949, 12, 31),
        sex=Sex.FEMALE,
    )
    assert citizen.province_code == "11"


def test_check_character_of_the_standard_sample_is_x() -> None:
    # given the first 17 digits of the sample
    # when its check character is computed
    # then it is X, the character for remainder 2
    assert check_character("11010519491231002") == "X"


def test_check_character_rejects_anything_but_17_digits() -> None:
    # given inputs that are not 17 ASCII digits
    # when the check character is asked for
    # then it refuses
    for bad in ("1101051949123100", "110105194912310021", "1101051949123100A"):
        with pytest.raises(IdNumberError, match="计算校验码需要17位数字"):
            check_character(bad)


# --- valid male numbers --------------------------------------------------------------


def test_constructed_male_number_parses_as_male() -> None:
    # given a number built for Xiping county, 1 March 1950, odd sequence 123
    number = make_citizen_id("410823", dt.date(1950, 3, 1), 123)

    # when it is parsed
    citizen = parse(number)

    # then it is that exact number, and the holder is a man
    assert number == "41082319500301123X"
    assert citizen.sex == Sex.MALE
    assert citizen.birth_date == dt.date(1950, 3, 1)
    assert citizen.region_code == "410823"
    assert citizen.province_code == "41"


def test_hand_computed_number_parses() -> None:
    # given a number whose check digit was worked out by hand:
    # weighted sum 202, 202 mod 11 = 4, and position 4 of "10X98765432" is "8"
    number = "410823195003011248"

    # when it is parsed
    citizen = parse(number)

    # then the even sequence 124 makes a woman
    assert citizen.sex == Sex.FEMALE
    assert make_citizen_id("410823", dt.date(1950, 3, 1), 124) == number


def test_male_number_with_check_digit_one() -> None:
    # given a man's number ending in an ordinary digit
    number = "410823194912310013"

    # when it is parsed
    citizen = parse(number)

    # then sequence 001 is odd, so the holder is a man
    assert citizen.sex == Sex.MALE
    assert citizen.birth_date == dt.date(1949, 12, 31)


# --- normalization -------------------------------------------------------------------


def test_lowercase_x_is_accepted_and_stored_upper_case() -> None:
    # given the sample typed with a lowercase x
    # when it is parsed
    citizen = parse("11010519491231002x")

    # then the number is stored with X
    assert citizen.number == STANDARD_SAMPLE


def test_full_width_digits_and_spaces_are_normalized() -> None:
    # given the sample typed in full-width mode, with ordinary and ideographic spaces
    raw = " １１０１０５ １９４９１２３１\u3000００２ｘ\n"

    # when it is normalized and parsed
    # then it is the ASCII number
    assert normalize_id_number(raw) == STANDARD_SAMPLE
    assert parse(raw).number == STANDARD_SAMPLE


def test_full_width_capital_x_is_normalized() -> None:
    # given a full-width capital X
    # when it is normalized
    # then it becomes ASCII X
    assert normalize_id_number("11010519491231002Ｘ") == STANDARD_SAMPLE


# --- invalid numbers -----------------------------------------------------------------


def test_wrong_check_character_is_rejected_and_named() -> None:
    # given the sample with its last character changed to 5
    # when it is parsed
    # then the message gives the right check character and the wrong one
    assert error_of("110105194912310025") == "公民身份号码的校验码应为 X，实际为 5"


@pytest.mark.parametrize(
    ("raw", "length"),
    [("11010519491231002", 17), ("11010519491231002X1", 19), ("", 0)],
)
def test_wrong_length_is_rejected(raw: str, length: int) -> None:
    # given a number too short, too long or empty
    # when it is parsed
    # then the message states the actual length
    assert error_of(raw) == f"公民身份号码应为18位，实际为{length}位"


def test_letters_among_the_first_17_are_rejected() -> None:
    # given a letter in the middle of the number
    # when it is parsed
    # then the message says the first 17 must be digits
    assert error_of("1101051949A231002X") == "公民身份号码前17位必须是数字"


def test_non_ascii_digits_are_rejected() -> None:
    # given Arabic-Indic digits, which str.isdigit() would accept
    # when such a number is parsed
    # then it is refused like any other non-digit
    assert error_of("\u0661" + STANDARD_SAMPLE[1:]) == "公民身份号码前17位必须是数字"


def test_last_character_must_be_digit_or_x() -> None:
    # given a number ending in Y
    # when it is parsed
    # then the message names the allowed characters
    assert error_of("11010519491231002Y") == "公民身份号码最后一位必须是数字或 X"


@pytest.mark.parametrize("region_code", ["990000", "000000", "100000", "240000", "720000", "830000"])
def test_region_code_outside_known_provinces_is_rejected(region_code: str) -> None:
    # given an otherwise valid number with an unknown province prefix
    first17 = f"{region_code}1949123100"
    number = first17 + "2" + check_character(first17 + "2")

    # when it is parsed
    # then the region code is named
    assert error_of(number) == f"公民身份号码的地区码 {region_code} 无效"


@pytest.mark.parametrize("province", ["11", "15", "23", "37", "46", "54", "65", "71", "81", "82"])
def test_region_code_with_county_zeros_is_accepted(province: str) -> None:
    # given a province-level code with 0000 for the rest, as issued to some people
    number = make_citizen_id(f"{province}0000", dt.date(1960, 1, 1), 7)

    # when it is parsed
    # then only the province is checked
    assert parse(number).region_code == f"{province}0000"


def number_born_on(yyyymmdd: str) -> str:
    """Build a number with a correct check character around any 8 date digits."""
    first17 = f"410823{yyyymmdd}001"
    return first17 + check_character(first17)


def test_30_february_does_not_exist() -> None:
    # given a birth date of 30 February
    # when it is parsed
    # then the message gives the impossible date
    assert error_of(number_born_on("20230230")) == "公民身份号码中的出生日期 2023-02-30 不存在"


def test_month_13_does_not_exist() -> None:
    # given month 13
    # when it is parsed
    # then it is an impossible date too
    assert error_of(number_born_on("19501301")) == "公民身份号码中的出生日期 1950-13-01 不存在"


def test_29_february_only_in_leap_years() -> None:
    # given 29 February in 2023 and 1900 (not leap years: 1900 is a century not divisible by 400)
    # when they are parsed
    # then both are rejected
    assert error_of(number_born_on("20230229")) == "公民身份号码中的出生日期 2023-02-29 不存在"
    assert error_of(number_born_on("19000229")) == "公民身份号码中的出生日期 1900-02-29 不存在"

    # and given 29 February in 2024 and 2000 (leap years)
    # then both are accepted
    assert parse(number_born_on("20240229")).birth_date == dt.date(2024, 2, 29)
    assert parse(number_born_on("20000229")).birth_date == dt.date(2000, 2, 29)


def test_birth_year_before_1880_is_rejected() -> None:
    # given a birth year of 1879
    # when it is parsed
    # then the year is refused
    assert error_of(number_born_on("18791231")) == "公民身份号码中的出生年份 1879 早于 1880 年"
    # and 1880 itself is fine
    assert parse(number_born_on("18800101")).birth_date == dt.date(1880, 1, 1)


def test_birth_after_today_is_rejected() -> None:
    # given a birth date one day after the given today
    # when it is parsed
    # then it is refused
    assert error_of(number_born_on("20250602")) == "公民身份号码中的出生日期晚于今天"
    # and a baby born today is fine
    assert parse(number_born_on("20250601")).birth_date == TODAY


def test_today_defaults_to_the_real_date() -> None:
    # given a birth date far in the future
    # when it is parsed without a today
    # then the real date is used and the number is refused
    with pytest.raises(IdNumberError, match="晚于今天"):
        parse_citizen_id(number_born_on("99991231"))


def test_errors_are_value_errors_with_the_message() -> None:
    # given an invalid number
    # when parsing fails
    with pytest.raises(ValueError, match="实际为3位") as caught:
        parse("123")

    # then callers catching ValueError see the message too
    assert isinstance(caught.value, IdNumberError)
    assert caught.value.message == str(caught.value) == "公民身份号码应为18位，实际为3位"


def test_sex_values() -> None:
    # given the sex choices
    # when stored in the database
    # then they are the single letters M and F
    assert (Sex.MALE.value, Sex.FEMALE.value) == ("M", "F")


# --- make_citizen_id -----------------------------------------------------------------

REGION_CODES = ["410823", "110105", "440305", "650102", "820000", "310115"]


@settings(database=None, max_examples=300)
@given(
    region_code=st.sampled_from(REGION_CODES),
    birth_date=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_made_numbers_round_trip(region_code: str, birth_date: dt.date, sequence: int) -> None:
    # given any region, date and sequence
    # when a number is made and parsed back
    number = make_citizen_id(region_code, birth_date, sequence)
    citizen = parse(number)

    # then every part comes back, and the sequence's parity gives the sex
    assert len(number) == 18
    assert number[14:17] == f"{sequence:03d}"
    assert citizen.number == number
    assert citizen.region_code == region_code
    assert citizen.birth_date == birth_date
    assert citizen.sex == (Sex.MALE if sequence % 2 else Sex.FEMALE)


@pytest.mark.parametrize(
    ("region_code", "birth_date", "sequence", "message"),
    [
        ("41082", dt.date(1950, 1, 1), 1, "region_code must be 6 ASCII digits"),
        ("41082X", dt.date(1950, 1, 1), 1, "region_code must be 6 ASCII digits"),
        ("990000", dt.date(1950, 1, 1), 1, "地区码 990000 无效"),
        ("410823", dt.date(1879, 12, 31), 1, "birth_date must be in 1880 or later"),
        ("410823", dt.date(1950, 1, 1), -1, "sequence must be in 0..999"),
        ("410823", dt.date(1950, 1, 1), 1000, "sequence must be in 0..999"),
    ],
)
def test_make_citizen_id_refuses_bad_arguments(
    region_code: str, birth_date: dt.date, sequence: int, message: str
) -> None:
    # given an argument that could not make a valid number
    # when a number is made
    # then it refuses
    with pytest.raises(ValueError, match=message):
        make_citizen_id(region_code, birth_date, sequence)


# --- masking -------------------------------------------------------------------------


def test_mask_id_number_shows_the_region_code_only() -> None:
    # given an 18-character number
    # when it is masked
    # then the birth date, the sequence and the check character are stars
    assert mask_id_number("410823195003011234") == "410823************"
    assert mask_id_number(STANDARD_SAMPLE) == "110105************"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("", "****"),
        ("1", "****"),
        ("1234567", "****"),
        ("12345678", "12******"),
        ("123456789012345", "12345**********"),  # first-generation 15-digit numbers
        ("41082319480315002167", "410823**************"),  # a disability certificate: ID number + 2
    ],
)
def test_mask_id_number_shows_at_most_six_and_never_more_than_a_third(number: str, masked: str) -> None:
    # given numbers of unusual length
    # when masked
    # then at most the first six characters and a third of them are shown
    assert mask_id_number(number) == masked
    assert sum(c != "*" for c in masked) <= min(6, len(number) / 3)


def test_masking_a_masked_number_shows_no_more() -> None:
    # given a mask of the old style, which showed the last four
    # when it is masked again
    # then only its first characters stay, and the new style is unchanged
    assert mask_id_number("4108**********1234") == "4108**************"
    assert mask_id_number("410823************") == "410823************"


def id_candidates(masked: str, *, birth_year: int, sex: Sex) -> int:
    """How many valid numbers agree with a mask, a birth year and a sex: every day of the year, every
    sequence of the right parity, the check character computed, each compared with the shown characters."""
    count = 0
    day = dt.date(birth_year, 1, 1)
    while day.year == birth_year:
        for sequence in range(1 if sex == Sex.MALE else 0, 1000, 2):
            number = make_citizen_id(masked[:6], day, sequence)
            if all(shown in ("*", actual) for shown, actual in zip(masked, number, strict=True)):
                count += 1
        day += dt.timedelta(days=1)
    return count


@pytest.mark.parametrize(
    ("number", "sex", "expected"),
    [
        (make_citizen_id("410823", dt.date(1950, 3, 1), 123), Sex.MALE, 365 * 500),
        (make_citizen_id("410823", dt.date(1944, 2, 29), 36), Sex.FEMALE, 366 * 500),
    ],
)
def test_a_masked_id_number_with_birth_year_and_sex_leaves_at_least_10000_numbers(
    number: str, sex: Sex, expected: int
) -> None:
    # given what a role that may not reveal is shown: the mask, the birth year and the sex
    masked = mask_id_number(number)

    # when every valid number that agrees with them is counted
    count = id_candidates(masked, birth_year=int(number[6:10]), sex=sex)

    # then the county's whole year remains
    assert count == expected >= MIN_CANDIDATES


def phone_candidates(masked: str) -> int:
    """How many digit strings agree with a phone mask: ten for every hidden digit."""
    return 10 ** masked.count("*") if masked else 0


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138*****678"),
        ("", ""),
        ("110", "***"),
        ("12345", "*****"),
        ("123456", "1*****"),
        ("7654321", "76*****"),
        ("12345678", "123*****"),
        ("037112345678", "037******678"),
        ("0371-12345678", "037*-*****678"),
        ("0371-1234567-801", "037*-*******-801"),
    ],
)
def test_mask_phone_hides_at_least_five_digits(phone: str, masked: str) -> None:
    # given a mobile number, or a phone number of another length
    # when masked
    # then at most 3 digits show at each end and at least 5 (or all) stay hidden
    assert mask_phone(phone) == masked
    if phone:
        assert phone_candidates(masked) >= min(MIN_CANDIDATES, 10 ** len(phone))


@settings(max_examples=200)
@given(st.text(alphabet="0123456789-", min_size=1, max_size=20))
def test_a_phone_mask_hides_five_digits_or_all_of_them(phone: str) -> None:
    # given any string of digits and hyphens
    # when masked
    masked = mask_phone(phone)

    # then it keeps its length, and at least five digits (all of a shorter number) are hidden
    digits = sum(c.isdigit() for c in phone)
    hidden = sum(c.isdigit() and m == "*" for c, m in zip(phone, masked, strict=True))
    assert hidden >= min(digits, 5)


def test_a_mobile_mask_leaves_100000_numbers() -> None:
    # given an 11-digit mobile number: the old mask "138****5678" left exactly 10^4
    # when masked
    masked = mask_phone("13812345678")

    # then five digits are hidden
    assert phone_candidates(masked) == 100_000


@pytest.mark.parametrize(
    ("text", "looks"),
    [
        ("410823195003011234", True),
        ("41082319500301123x", True),
        ("４１０８２３１９５００３０１１２３４", True),
        ("410823 19500301 1234", True),
        ("410823195003011235", True),  # a wrong check character is still a number: kept out of URLs too
        ("41082319500301123", False),
        ("王秀英", False),
        ("13812345678", False),
    ],
)
def test_looks_like_id_number(text: str, looks: bool) -> None:
    assert looks_like_id_number(text) is looks


# --- ages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (dt.date(1950, 3, 1), 0),
        (dt.date(2025, 2, 28), 74),
        (dt.date(2025, 3, 1), 75),
        (dt.date(2025, 12, 31), 75),
    ],
)
def test_age_on_counts_full_years(day: dt.date, age: int) -> None:
    # given someone born on 1 March 1950
    # when their age is asked for on a day
    # then it is the number of birthdays passed
    assert age_on(dt.date(1950, 3, 1), day) == age


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (dt.date(2023, 2, 28), 22),  # no 29 February in 2023: still 22
        (dt.date(2023, 3, 1), 23),  # a year older on 1 March
        (dt.date(2024, 2, 28), 23),
        (dt.date(2024, 2, 29), 24),  # the real birthday in a leap year
    ],
)
def test_age_on_for_someone_born_on_29_february(day: dt.date, age: int) -> None:
    # given someone born on 29 February 2000
    # when their age is asked for around their birthday
    # then in common years the birthday falls on 1 March
    assert age_on(dt.date(2000, 2, 29), day) == age


def test_age_on_refuses_a_day_before_birth() -> None:
    # given a day before the birth date
    # when the age is asked for
    # then it refuses rather than return a negative age
    with pytest.raises(ValueError, match="before birth_date"):
        age_on(dt.date(2000, 1, 2), dt.date(2000, 1, 1))
