"""Template helpers for the schedule pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any], key: str) -> Any:
    value = mapping.get(key, "") if mapping else ""
    return _(value) if isinstance(value, str) and value else value
