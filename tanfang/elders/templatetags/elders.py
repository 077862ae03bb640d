"""Template helpers for the registry pages."""

from __future__ import annotations

import datetime as dt

from django import template

from tanfang.core.id_numbers import age_on
from tanfang.elders.inputs import is_old_old as _is_old_old

register = template.Library()


@register.simple_tag
def age(birth_date: dt.date, today: dt.date) -> int:
    return age_on(birth_date, today)


@register.filter
def is_old_old(birth_date: dt.date, today: dt.date) -> bool:
    return _is_old_old(birth_date, today)


@register.filter
def yes_no(value: bool | None) -> str:
    from django.utils.translation import gettext as _

    if value is None:
        return "—"
    return _("是") if value else _("否")
