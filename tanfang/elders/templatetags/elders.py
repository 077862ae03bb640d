"""Template helpers for the registry pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanfang.core.id_numbers import mask_audited
from tanfang.elders.disclosure import BirthShown, birth_shown
from tanfang.elders.models import Elder

register = template.Library()


@register.simple_tag
def birth(birth_date: dt.date, today: dt.date, whole: bool) -> BirthShown:
    """The birth as the page may show it: `whole` for a role that may reveal (elders.disclosure)."""
    return birth_shown(birth_date, today, whole=bool(whole))


@register.filter
def yes_no(value: bool | None) -> str:
    if value is None:
        return "—"
    return _("是") if value else _("否")


@register.filter
def audited_value(value: object, name: str) -> object:
    """A value of an elder's audit entry as the history shows it: a birth date by its year, an ID
    number by its region code, whatever older entries hold (masks once showed the last four)."""
    return mask_audited(name, value)


_LIST_LABELS = {
    "groups": gettext_lazy("特殊困难类别"),
    "contacts": gettext_lazy("紧急联系人"),
    "supporters": gettext_lazy("赡养人/扶养人"),
    "household": gettext_lazy("家庭成员"),
    "benefits": gettext_lazy("养老金、救助和补贴"),
    "assistance": gettext_lazy("已享受的帮扶"),
    "region_id": gettext_lazy("现居住村（社区）"),
    "registered_region_id": gettext_lazy("户籍地区划"),
    "merged_into": gettext_lazy("已合并到"),
}


@register.filter
def elder_field_label(name: str) -> str:
    """The Chinese label of an audited elder field, e.g. id_number_masked → 公民身份号码."""
    if name in _LIST_LABELS:
        return str(_LIST_LABELS[name])
    try:
        return str(getattr(Elder._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name
