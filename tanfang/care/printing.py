"""A care service printed on its own (关爱服务记录), A4, in the words of section 6 of the record form.

The sheet carries what section 6 asks for — the how-many-th care service and its date, what was done,
the server's signature or seal, the elder's satisfaction — with the provider, the follow-up it closed
and the remarks. No ID or phone number is printed. Every print is audited (CARE_SERVICE_PRINTED).
"""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, Paragraph, Spacer, Table, TableStyle

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.care.care_services import get_care_service_for, satisfaction_boxes
from tanfang.care.models import CareService
from tanfang.core.pdf import FONT, a4_document, box, paragraph
from tanfang.core.scope import Actor
from tanfang.core.time import LOCAL_TZ
from tanfang.regions.paths import codes_of
from tanfang.regions.selectors import region_names_unscoped

PAGE_WIDTH = A4[0] - 30 * mm


def image_cell(content: Any, *, width_mm: float = 45, height_mm: float = 18) -> Flowable | Paragraph:
    """A stored signature or seal, scaled into a cell; one that cannot be drawn never breaks a print."""
    if not content:
        return paragraph("")
    data = bytes(content)
    try:
        probe = Image(io.BytesIO(data))
        ratio = probe.imageHeight / probe.imageWidth if probe.imageWidth else 0.4
    except (OSError, ValueError):
        return paragraph(_("（图片无法显示）"), "small")
    width = width_mm * mm
    height = min(width * ratio, height_mm * mm)
    return Image(io.BytesIO(data), width=height / ratio if ratio else width, height=height)


def _label(text: str) -> Paragraph:
    return paragraph(text, "label")


def _rows(service: CareService, regions: dict[str, str]) -> list[list[Any]]:
    elder = service.elder
    address = " ".join(regions.get(code, "") for code in codes_of(elder.region_path)[2:])
    day = service.served_on
    head = _("第 %(n)s 次开展关爱　　%(y)s 年 %(m)s 月 %(d)s 日") % {
        "n": service.number,
        "y": day.year,
        "m": day.month,
        "d": day.day,
    }
    images = [image_cell(content) for content in (service.server_signature, service.seal) if content]
    signed: list[Any] = [Table([images], hAlign="LEFT")] if images else []
    when = {"name": service.server_name, "y": day.year, "m": day.month, "d": day.day}
    signed.append(paragraph(_("%(name)s　%(y)s 年 %(m)s 月 %(d)s 日") % when))
    recorder = service.recorded_by
    recorded = _("%(who)s　%(at)s") % {
        "who": getattr(recorder, "display_name", "") or recorder.username,
        "at": f"{service.recorded_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
    }
    label = _label
    return [
        [label(_("被服务老人")), paragraph(elder.name), label(_("家庭住址")), paragraph(f"{address}\n{elder.address}")],
        [label(_("关爱服务次数及日期")), paragraph(head), "", ""],
        [
            label(_("服务机构")),
            paragraph(service.provider.name if service.provider else _("（未填写）")),
            label(_("办结的跟进事项")),
            paragraph(service.follow_up.title if service.follow_up else _("（无）")),
        ],
        [label(_("关爱服务情况")), paragraph(service.content), "", ""],
        [label(_("服务人员签字（盖章）")), signed, "", ""],
        [
            label(_("老年人服务满意度评价")),
            paragraph("  ".join(box(on, text) for on, text in satisfaction_boxes(service.satisfaction))),
            "",
            "",
        ],
        [label(_("备注")), paragraph(service.remarks), "", ""],
        [label(_("记录人及时间")), paragraph(recorded), "", ""],
    ]


def render_care_service(service: CareService) -> bytes:
    """One care service as a PDF, every piece of text in the embedded Chinese font."""
    regions = region_names_unscoped(codes_of(service.elder.region_path))
    out = io.BytesIO()
    doc = a4_document(out, title=_("关爱服务记录"), subject=str(service.pk))
    rows = _rows(service, regions)
    table = Table(rows, colWidths=[w * PAGE_WIDTH for w in (0.2, 0.3, 0.18, 0.32)])
    spans = [((1, row), (3, row)) for row in (1, 3, 4, 5, 6, 7)]
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                *[("SPAN", *span) for span in spans],
            ]
        )
    )
    story: list[Flowable] = [
        paragraph(_("关爱服务记录"), "title"),
        paragraph(_("（特殊困难老年人探访关爱服务记录表 第六部分）"), "right"),
        Spacer(0, 4 * mm),
        table,
    ]
    doc.build(story)
    return out.getvalue()


def print_care_service(*, actor: Actor, care_service_id: int) -> bytes:
    """Print a care service the actor sees (NotFound otherwise); audited in the print's own transaction."""
    service = get_care_service_for(actor, care_service_id)
    content = render_care_service(service)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.CARE_SERVICE_PRINTED,
            subject=service.elder,
            region_path=service.region_path,
            details={"care_service": service.pk, "number": service.number},
        )
    return content
