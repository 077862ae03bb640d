"""URL converters for pages.

`<id:…>` is a database id: 1 to 18 digits, so it always fits a 64-bit integer. A longer number (or
anything else) matches no URL and answers the 404 page, instead of overflowing the database driver.
"""

from __future__ import annotations


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))
