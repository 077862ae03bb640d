"""Template helpers for the registry pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext_lazy

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
    from django.core.exceptions import FieldDoesNotExist

    from tanfang.elders.models import Elder

    if name in _LIST_LABELS:
        return str(_LIST_LABELS[name])
    try:
        return str(getattr(Elder._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name
