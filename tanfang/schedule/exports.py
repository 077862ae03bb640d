"""A region's schedule lists as .xlsx: within scope, masked, audited, for roles that may export."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import NotFound
from tanfang.core.roles import Permission
from tanfang.core.scope import Actor
from tanfang.core.xlsx import XlsxWriter
from tanfang.regions.scoping import require_permission
from tanfang.schedule.selectors import LISTS, REASON_LABELS, region_list, schedule_region_for
from tanfang.visits.models import Method

METHOD_LABELS = dict(Method.choices)


def export_region_list(*, actor: Actor, code: str, kind: str, today: dt.date) -> tuple[str, bytes, int]:
    """Write one of a region's lists (see selectors.LISTS); ID numbers stay masked.

    Returns (file name, xlsx bytes, rows). PermissionDenied for a role that may not export;
    NotFound for an unknown list or a region outside the scope.
    """
    require_permission(actor, Permission.EXPORT_ELDERS)
    region = schedule_region_for(actor, code)
    if kind not in LISTS:
        raise NotFound()
    rows = region_list(actor, code, kind, today)
    book = XlsxWriter()
    count = 0
    if kind == "loads":
        book.sheet(str(LISTS[kind]), [_("姓名"), _("类别"), _("所在区划"), _("结对人数"), _("上限")])
        for v in rows.iterator(chunk_size=2000):
            book.row([v.name, str(v.get_kind_display()), v.region.name, v.load, v.capacity])
            count += 1
    elif kind == "unpaired":
        book.sheet(str(LISTS[kind]), [_("姓名"), _("公民身份号码"), _("现居住村（社区）"), _("状态")])
        for e in rows.iterator(chunk_size=2000):
            book.row([e.name, e.id_number_masked, e.region.name, str(e.get_status_display())])
            count += 1
    else:
        book.sheet(
            str(LISTS[kind]),
            [
                _("姓名"),
                _("公民身份号码"),
                _("现居住村（社区）"),
                _("原因"),
                _("期限"),
                _("剩余天数"),
                _("最近探访"),
                _("探访方式"),
            ],
        )
        for d in rows.iterator(chunk_size=2000):
            book.row(
                [
                    d.elder.name,
                    d.elder.id_number_masked,
                    d.elder.region.name,
                    _(REASON_LABELS[d.reason]) if d.reason in REASON_LABELS else d.reason,
                    d.deadline,
                    (d.deadline - today).days if d.deadline else None,
                    d.last_contact_on,
                    str(METHOD_LABELS.get(d.last_method, "")),
                ]
            )
            count += 1
    content = book.to_bytes()
    with transaction.atomic():
        record_event(actor=actor, action=Action.ELDERS_EXPORTED, subject=region, details={"list": kind, "rows": count})
    return f"{kind}-{code}-{today:%Y%m%d}.xlsx", content, count
