"""The incident archive as a PDF: the incident, every call and the whole timeline, numbers masked.

Printed with the shared Chinese font (core.pdf), so it reads the same on any machine. It shows what
the incident page shows and nothing more: masks only, so printing is no reveal and is not audited.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from tanfang.alerts.models import Incident
from tanfang.core.pdf import FONT, a4_document, paragraph
from tanfang.core.time import LOCAL_TZ

WIDTH = A4[0] - 30 * mm


def _when(moment: Any) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _grid(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=[w * WIDTH for w in widths], repeatRows=0)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, _("第 %(n)s 页") % {"n": doc.page})
    canvas.restoreState()


def render_incident(incident: Incident) -> bytes:
    """The archive of one incident (open or closed) as a PDF."""
    elder = incident.elder
    out = io.BytesIO()
    doc = a4_document(out, title=_("紧急事件处置记录"), subject=str(incident.pk), top_mm=12, bottom_mm=14)
    story: list[Flowable] = [
        paragraph(_("特殊困难老年人紧急事件处置记录"), "title"),
        Spacer(1, 4 * mm),
        _grid(
            [
                [
                    paragraph(_("事件编号"), "label"),
                    paragraph(incident.pk),
                    paragraph(_("状态"), "label"),
                    paragraph(incident.get_state_display()),
                ],
                [
                    paragraph(_("老年人"), "label"),
                    paragraph(elder.name),
                    paragraph(_("住址"), "label"),
                    paragraph(f"{elder.region.full_name} {elder.address}"),
                ],
                [
                    paragraph(_("类型"), "label"),
                    paragraph(incident.get_kind_display()),
                    paragraph(_("报告人"), "label"),
                    paragraph(incident.opened_by_label),
                ],
                [
                    paragraph(_("报告时间"), "label"),
                    paragraph(_when(incident.opened_at)),
                    paragraph(_("结案时间"), "label"),
                    paragraph(_when(incident.closed_at)),
                ],
                [paragraph(_("情况说明"), "label"), paragraph(incident.description or "—"), "", ""],
                [
                    paragraph(_("处置结果"), "label"),
                    paragraph(incident.get_disposition_display() or "—"),
                    paragraph(_("结案人"), "label"),
                    paragraph(incident.closed_by_label or "—"),
                ],
                [paragraph(_("处置经过"), "label"), paragraph(incident.account or "—"), "", ""],
            ],
            [0.15, 0.35, 0.15, 0.35],
        ),
        Spacer(1, 4 * mm),
        paragraph(_("呼叫记录"), "section"),
        Spacer(1, 1.5 * mm),
    ]
    calls = list(incident.calls.all())
    call_rows: list[list[Any]] = [
        [paragraph(h, "label") for h in (_("时间"), _("拨打人"), _("被叫"), _("号码"), _("结果"), _("备注"))]
    ]
    call_rows += [
        [
            paragraph(_when(c.at)),
            paragraph(c.caller_label),
            paragraph(c.callee_label),
            paragraph(c.number_masked or "—"),
            paragraph(c.get_outcome_display()),
            paragraph(c.note or ""),
        ]
        for c in calls
    ]
    if not calls:
        call_rows.append([paragraph(_("没有呼叫记录")), "", "", "", "", ""])
    story.append(_grid(call_rows, [0.18, 0.14, 0.2, 0.14, 0.12, 0.22]))
    story += [Spacer(1, 4 * mm), paragraph(_("处置经过时间线"), "section"), Spacer(1, 1.5 * mm)]
    timeline_rows: list[list[Any]] = [[paragraph(h, "label") for h in (_("时间"), _("类型"), _("操作人"), _("内容"))]]
    timeline_rows += [
        [paragraph(_when(e.at)), paragraph(e.get_kind_display()), paragraph(e.actor_label), paragraph(e.text)]
        for e in incident.timeline.all()
    ]
    story.append(_grid(timeline_rows, [0.18, 0.1, 0.17, 0.55]))
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()
