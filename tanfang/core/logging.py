"""Keep personal data out of application logs.

Citizen ID numbers and mobile phone numbers that slip into a log message are masked
before any handler writes them.
"""

from __future__ import annotations

import logging
import re

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{11}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{5}(\d{3})(?!\d)")


def scrub(text: str) -> str:
    """Mask ID numbers and mobile numbers in free text, as `core.id_numbers` masks them on pages."""
    text = _ID_NUMBER.sub(r"\1************", text)
    return _MOBILE.sub(r"\1*****\2", text)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
