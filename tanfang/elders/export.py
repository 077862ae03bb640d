"""The filtered list as an .xlsx: masked, within scope, audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.roles import Permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.core.xlsx import XlsxWriter
from tanfang.elders.disclosure import birth_shown, shows_birth_dates
from tanfang.elders.models import Elder, Group, Status
from tanfang.elders.selectors import ElderFilters, filter_elders
from tanfang.regions.scoping import require_permission

MAX_EXPORT_ROWS = 200_000


def export_elders(*, actor: Actor, filters: ElderFilters) -> tuple[bytes, int]:
    """Write the list the filters select; personal data stays masked, and ages are what the actor's pages
    show (elders.disclosure: by birth year for a role that may not reveal). Returns (xlsx bytes, rows)."""
    require_permission(actor, Permission.EXPORT_ELDERS)
    today = local_today()
    whole = shows_birth_dates(actor)
    book = XlsxWriter()
    book.sheet(
        _("老年人名单"),
        [
            _("姓名"),
            _("性别"),
            _("年龄") if whole else _("年龄（按出生年份计算）"),
            _("公民身份号码"),
            _("联系电话"),
            _("现居住村（社区）"),
            _("区划代码"),
            _("现居住地址"),
            _("特殊困难类别"),
            _("高龄"),
            _("状态"),
            _("登记日期"),
        ],
    )
    groups = dict(Group.choices)
    statuses = dict(Status.choices)
    elders = filter_elders(actor, filters).select_related("region").prefetch_related("groups")
    count = 0
    for elder in elders[:MAX_EXPORT_ROWS].iterator(chunk_size=2000):
        birth = birth_shown(elder.birth_date, today, whole=whole)
        book.row(
            [
                elder.name,
                _("男") if elder.sex == "M" else _("女"),
                birth.age,
                elder.id_number_masked,
                elder.phone_masked,
                elder.region.name,
                elder.region_id,
                elder.address,
                "、".join(str(groups[g.group]) for g in elder.groups.all() if g.until is None),
                _("是") if birth.old_old else "",
                str(statuses.get(elder.status, elder.status)),
                elder.registered_on,
            ]
        )
        count += 1
    content = book.to_bytes()
    top = scope_of(actor).paths
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.ELDERS_EXPORTED,
            subject_type=Elder._meta.label_lower,
            subject_label=_("老年人名单"),
            region_path=top[0] if top else "",
            # The search text may be an ID number or a phone number: say only that there was one.
            details={
                "rows": count,
                "filters": {k: (v if k not in ("q", "number") else "…") for k, v in vars(filters).items() if v},
            },
        )
    return content, count
