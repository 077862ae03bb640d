"""Every process reloads its form templates when one is added, switched off or removed."""

from __future__ import annotations

from typing import Any

from tanfang.core.generations import bump
from tanfang.records.services import FORM_TEMPLATES


def templates_changed(sender: Any, **kwargs: Any) -> None:
    bump(FORM_TEMPLATES)
