"""Chinese citizen ID numbers (公民身份号码) per GB 11643-1999, and masking for display.

A number has 18 characters: a 6-digit region code, the birth date as YYYYMMDD, a
3-digit sequence whose parity gives the sex (odd = male), and an ISO 7064 MOD 11-2
check character, which is a digit or X.

The messages of `IdNumberError` are shown to the people typing the number, so they
are plain Chinese strings. They are not marked for translation because this module
must work without configured Django settings (imports, tests, scripts).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

ID_NUMBER_LENGTH = 18
EARLIEST_BIRTH_YEAR = 1880

# Province-level codes of GB/T 2260, the first two digits of every region code.
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{code:02d}"
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)

_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"

# str.isdigit() also accepts "²" and Arabic-Indic digits; only ASCII digits are valid.
_ASCII_DIGITS = re.compile(r"[0-9]+")
_WHITESPACE = re.compile(r"\s+")
# Full-width digits and X come from Chinese input methods in IME full-width mode.
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")


class IdNumberError(ValueError):
    """Say why a citizen ID number is invalid; `str(error)` is the Chinese message."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


@dataclass(frozen=True)
class CitizenId:
    """A validated citizen ID number and what it says about its holder."""

    number: str
    region_code: str  # the first 6 digits: the county of first registration
    birth_date: dt.date
    sex: Sex

    @property
    def province_code(self) -> str:
        return self.region_code[:2]


def normalize_id_number(raw: str) -> str:
    """Return the number with whitespace removed, full-width characters made ASCII, x made X.

    Do not validate: `parse_citizen_id` does that and reports what is wrong.
    """
    return _WHITESPACE.sub("", raw).translate(_FULL_WIDTH)


def _is_ascii_digits(text: str) -> bool:
    return _ASCII_DIGITS.fullmatch(text) is not None


def check_character(first17: str) -> str:
    """Compute the ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != ID_NUMBER_LENGTH - 1 or not _is_ascii_digits(first17):
        raise IdNumberError("计算校验码需要17位数字")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _CHECK_WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def _check_region_code(region_code: str) -> None:
    # Only the province is checked: county codes change every year, and a number keeps
    # the code of the county where it was first issued even after the county is gone.
    if region_code == "000000" or region_code[:2] not in PROVINCE_CODES:
        raise IdNumberError(f"公民身份号码的地区码 {region_code} 无效")


def _parse_birth_date(digits: str, today: dt.date) -> dt.date:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    try:
        birth_date = dt.date(year, month, day)
    except ValueError:
        raise IdNumberError(f"公民身份号码中的出生日期 {digits[:4]}-{digits[4:6]}-{digits[6:8]} 不存在") from None
    if year < EARLIEST_BIRTH_YEAR:
        raise IdNumberError(f"公民身份号码中的出生年份 {year} 早于 {EARLIEST_BIRTH_YEAR} 年")
    if birth_date > today:
        raise IdNumberError("公民身份号码中的出生日期晚于今天")
    return birth_date


def parse_citizen_id(raw: str, *, today: dt.date | None = None) -> CitizenId:
    """Normalize and validate a citizen ID number; raise IdNumberError saying what is wrong.

    `today` defaults to `datetime.date.today()`; pass the local date to be exact
    around midnight.
    """
    number = normalize_id_number(raw)
    if len(number) != ID_NUMBER_LENGTH:
        raise IdNumberError(f"公民身份号码应为{ID_NUMBER_LENGTH}位，实际为{len(number)}位")
    first17, last = number[:-1], number[-1]
    if not _is_ascii_digits(first17):
        raise IdNumberError("公民身份号码前17位必须是数字")
    if not (_is_ascii_digits(last) or last == "X"):
        raise IdNumberError("公民身份号码最后一位必须是数字或 X")
    region_code = number[:6]
    _check_region_code(region_code)
    birth_date = _parse_birth_date(number[6:14], today or dt.date.today())
    expected = check_character(first17)
    if last != expected:
        raise IdNumberError(f"公民身份号码的校验码应为 {expected}，实际为 {last}")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return CitizenId(number=number, region_code=region_code, birth_date=birth_date, sex=sex)


def make_citizen_id(region_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid 18-character number, for demo data and tests.

    `sequence` (0..999) becomes digits 15-17, so an odd sequence makes a man.
    """
    if len(region_code) != 6 or not _is_ascii_digits(region_code):
        raise ValueError(f"region_code must be 6 ASCII digits, got {region_code!r}")
    _check_region_code(region_code)
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise ValueError(f"birth_date must be in {EARLIEST_BIRTH_YEAR} or later, got {birth_date}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be in 0..999, got {sequence}")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


# What a mask may show. Everything the system shows a role that may not reveal numbers, taken
# together, must leave at least MIN_CANDIDATES possible numbers (ARCHITECTURE rule 6).
MIN_CANDIDATES = 10_000
ID_MASK_SHOWN = 6  # the region code: the county is on the page anyway
PHONE_MASK_HIDDEN = 5  # 10^5 possible numbers; "138****5678" would leave exactly 10^4
_PHONE_MASK_HEAD, _PHONE_MASK_TAIL = 3, 3


def mask_id_number(number: str) -> str:
    """Hide all but the region code of an ID number for display, e.g. "410823************".

    The birth date, the sequence number (whose last digit gives the sex) and the check character are
    hidden: with the birth year, the sex and the county known, 365 × 500 = 182,500 numbers remain. The
    last four are hidden too, since they name the sequence and the check character cuts the rest by 11.
    Other lengths (the 20-character disability certificate, 15-digit first-generation numbers) show at
    most the first 6 characters and never more than a third; anything shorter than 8 becomes "****",
    which also hides its length. Masking a masked value changes nothing, or hides more.
    """
    if len(number) < 8:
        return "****"
    keep = min(ID_MASK_SHOWN, len(number) // 3)
    return number[:keep] + "*" * (len(number) - keep)


def mask_phone(phone: str) -> str:
    """Hide at least 5 digits of a phone number for display, e.g. "138*****678".

    Up to 3 digits show at each end, never leaving fewer than 5 hidden: an 11-digit mobile number
    shows 3 + 3, a 7-digit local number 2 + 0, a number of 5 digits or fewer none at all. Characters
    other than digits (a hyphen after the area code) are kept where they are. An empty string stays
    empty.
    """
    if not phone:
        return ""
    digits = sum(c.isascii() and c.isdigit() for c in phone)
    shown = max(0, digits - PHONE_MASK_HIDDEN)
    head = min(_PHONE_MASK_HEAD, shown)
    tail = min(_PHONE_MASK_TAIL, shown - head)
    masked, seen = [], 0
    for character in phone:
        if character.isascii() and character.isdigit():
            seen += 1
            masked.append(character if seen <= head or seen > digits - tail else "*")
        else:
            masked.append(character if digits > PHONE_MASK_HIDDEN else "*")
    return "".join(masked)


def looks_like_id_number(text: str) -> bool:
    """Whether a search text is a whole ID number (18 characters, ASCII or full-width, spaces allowed).

    Only the shape is checked, not the check character: a mistyped number must not end up in a URL
    either.
    """
    return _ID_SHAPE.fullmatch(normalize_id_number(text)) is not None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Return the age in full years on `day`.

    Someone born on 29 February turns a year older on 1 March in a non-leap year;
    on 28 February they are still the younger age. This is a choice, made so that
    nobody reaches an age before the full number of years has passed.
    """
    if day < birth_date:
        raise ValueError(f"day {day} is before birth_date {birth_date}")
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


_WHOLE_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}$")
_NUMBER_FIELDS = ("id_number", "certificate")


def mask_audited(name: str, value: object) -> object:
    """A value stored in an audit entry as any page, export or API shows it.

    Entries written before the masks held may carry a whole birth date or a mask that showed the
    last four digits: a birth date shows its year, a number field its current mask (at most the region
    code), a phone field at most its first and last three digits. Anything else is shown as stored.
    """
    if isinstance(value, dict):
        return {k: mask_audited(name if k in ("old", "new") else k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_audited(name, v) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if name.endswith("birth_date"):
        whole = _WHOLE_DATE.match(value)
        return f"{whole[1]}-**-**" if whole else value
    if any(part in name for part in _NUMBER_FIELDS):
        return mask_id_number(value)
    if "phone" in name:
        return mask_phone(value) if "*" not in value else value[:3] + "*" * max(len(value) - 6, 5) + value[-3:]
    return value
