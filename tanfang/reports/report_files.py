"""The 通报 and the progress report written out: .xlsx through core.xlsx's safe cells, PDF in core.pdf's
embedded Chinese font, with a footer that numbers the pages ("第 n 页，共 m 页").

The 通报 is a sheet (title row, the month's line, a header row, frozen panes, percentages formatted) and
an A4 landscape PDF (the table, the 红黑榜, a note on how the rate and ranks are made); the progress
report is an A4 portrait PDF and a sheet (the month's indicators, then the twelve months).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from tanfang.core.pdf import FONT, FONT_BOLD, a4_document, paragraph, register_fonts, styles
from tanfang.core.xlsx import HEADER_FONT, text_cell
from tanfang.elders.models import Group
from tanfang.reports.bulletins import Bulletin, Progress, day_label, month_label
from tanfang.reports.numbers import percent
from tanfang.schedule.figures import Figures, MonthStatus, Ranked

TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
NUMBER_FORMATS = {"rate": "0.0%", "score": "0.00", "points": "+0.0;-0.0;0.0"}
GREY = colors.Color(0.9, 0.9, 0.9)


# --- the indicators and how they read ---------------------------------------------------------------

Indicator = tuple[str, Callable[[Figures], float | int | None], str]  # label, value, kind


def _indicators() -> list[Indicator]:
    """The 通报's columns after the region, its rank, the rate and its change."""
    return [
        (_("上门"), lambda f: f.visited_home, "count"),
        (_("电话"), lambda f: f.visited_phone, "count"),
        (_("视频"), lambda f: f.visited_video, "count"),
        (_("其他方式"), lambda f: f.visited_other, "count"),
        (_("不愿接受探访"), lambda f: f.declined, "count"),
        (_("失能应探访"), lambda f: f.disabled.get("to_visit", 0), "count"),
        (_("失能已探访"), lambda f: f.disabled.get("visited", 0), "count"),
        (_("跟进新发起"), lambda f: f.fu_opened, "count"),
        (_("跟进办结"), lambda f: f.fu_done, "count"),
        (_("跟进逾期"), lambda f: f.fu_overdue, "count"),
        (_("关爱服务次数"), lambda f: f.services, "count"),
        (_("平均满意度"), lambda f: f.satisfaction, "score"),
        (_("紧急事件"), lambda f: f.incidents, "count"),
        (_("活跃探访人员"), lambda f: f.visitors_active, "count"),
        (_("核查提示"), lambda f: f.flagged, "count"),
        (_("审核不予认可"), lambda f: f.rejected, "count"),
    ]


def _headers() -> list[str]:
    return [_("区划"), _("排名"), _("应探访"), _("已探访"), _("月探访率"), _("较上月（个百分点）")] + [
        label for label, _value, _kind in _indicators()
    ]


def _values(
    name: str, rank: int | None, figures: Figures, change: float | None, *, total: bool = False
) -> list[tuple[Any, str]]:
    """A row of the 通报 as (value, kind) pairs; a missing rank, rate, change or score is None (shown as
    a dash); the total row has no rank."""
    head: list[tuple[Any, str]] = [
        (name, "text"),
        ("", "text") if total else (rank, "count"),
        (figures.to_visit, "count"),
        (figures.visited, "count"),
        (figures.rate, "rate"),
        (round(change * 100, 1) if change is not None else None, "points"),
    ]
    return head + [(value(figures), kind) for _label, value, kind in _indicators()]


def _total(bulletin: Bulletin) -> list[tuple[Any, str]]:
    name = _("%(region)s（合计）") % {"region": bulletin.region.name}
    return _values(name, None, bulletin.total, bulletin.change, total=True)


def _shown(value: Any, kind: str) -> str:
    """A value as printed: percentages to one place, points signed, a missing value as a dash."""
    if value is None:
        return "—"
    if kind == "rate":
        return percent(value)
    if kind == "score":
        return f"{value:.2f}"
    if kind == "points":
        return f"{value:+.1f}" if value else "0.0"
    return str(value)


def state_of(status: MonthStatus) -> str:
    """已月结 (with the records added since, 补录 N) or 未月结."""
    if status.state == "closed":
        if status.corrections:
            return _("已月结，补录 %(n)s 条") % {"n": status.corrections}
        return _("已月结")
    if status.state == "reopened":
        return _("未月结（已重新打开）")
    return _("未月结")


def _roll(entries: list[Ranked]) -> str:
    return "；".join(
        _("%(rank)s. %(region)s %(rate)s")
        % {"rank": r.rank, "region": r.figures.region.name, "rate": _shown(r.figures.rate, "rate")}
        for r in entries
    )


# --- .xlsx -------------------------------------------------------------------------------------------


def _cell(sheet: Any, value: Any, kind: str, *, bold: bool = False) -> Any:
    if kind == "text" or value is None:
        return text_cell(sheet, "—" if value is None else str(value), font=BOLD if bold else None)
    cell = WriteOnlyCell(sheet, value=value)
    if kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    if bold:
        cell.font = BOLD
    return cell


def _sheet(book: Workbook, title: str, widths: Sequence[float], *, freeze: str) -> Any:
    sheet: Any = book.create_sheet(title=title[:31])
    sheet.freeze_panes = freeze
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    return sheet


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    """The 通报 as a workbook: a title row, the month's line, a header row, the sub-regions, the total."""
    book = Workbook(write_only=True)
    headers = _headers()
    sheet = _sheet(book, _("通报"), [22, 6, 8, 8, 10, 12] + [9] * (len(headers) - 6), freeze="C4")
    sheet.append([text_cell(sheet, bulletin.title, font=TITLE_FONT)])
    sheet.append([text_cell(sheet, _meta(bulletin.month, bulletin.status, bulletin.made_on))])
    sheet.append([text_cell(sheet, h, font=HEADER_FONT) for h in headers])
    for row in bulletin.rows:
        sheet.append(
            [_cell(sheet, v, k) for v, k in _values(row.figures.region.name, row.rank, row.figures, row.change)]
        )
    sheet.append([_cell(sheet, v, k, bold=True) for v, k in _total(bulletin)])
    sheet.append([])
    for line in [*_roll_lines(bulletin), _bulletin_note()]:
        sheet.append([text_cell(sheet, line)])
    return _bytes(book)


def progress_xlsx(progress: Progress) -> bytes:
    """The progress report as a workbook: the month's indicators, then the twelve months."""
    book = Workbook(write_only=True)
    sheet = _sheet(book, _("进度报告"), [20, 12, 12, 12, 18, 8], freeze="A4")
    sheet.append([text_cell(sheet, progress.title, font=TITLE_FONT)])
    sheet.append([text_cell(sheet, _meta(progress.month, progress.status, progress.made_on))])
    sheet.append([text_cell(sheet, h, font=HEADER_FONT) for h in (_("指标"), _("数值"))])
    for label, value, kind in _progress_indicators(progress):
        sheet.append([text_cell(sheet, label), _cell(sheet, value, kind)])
    sheet.append([])
    sheet.append([text_cell(sheet, _("近12个月探访率"), font=BOLD)])
    sheet.append([text_cell(sheet, h, font=HEADER_FONT) for h in _trend_headers()])
    for point, status in progress.months:
        sheet.append(
            [
                text_cell(sheet, month_label(point.month)),
                _cell(sheet, point.to_visit, "count"),
                _cell(sheet, point.visited, "count"),
                _cell(sheet, point.rate, "rate"),
                text_cell(sheet, state_of(status)),
                _cell(sheet, status.corrections if status.state == "closed" else 0, "count"),
            ]
        )
    return _bytes(book)


def _meta(month: dt.date, status: MonthStatus, made_on: dt.date) -> str:
    return _("统计月份：%(month)s　月结状态：%(state)s　制表日期：%(day)s") % {
        "month": month_label(month),
        "state": state_of(status),
        "day": day_label(made_on),
    }


def _roll_lines(bulletin: Bulletin) -> list[str]:
    best, worst = bulletin.honour_rolls()
    if not best:
        return [_("参与排名的下级区划不足两个，本月不列红黑榜。")]
    return [
        _("红榜（探访率最高）：%(list)s") % {"list": _roll(best)},
        _("黑榜（探访率最低）：%(list)s") % {"list": _roll(worst)},
    ]


def _bulletin_note() -> str:
    return _(
        "说明：月探访率＝已探访÷应探访；较上月为月探访率的变化（个百分点）；排名按月探访率由高到低，"
        "相同时应探访人数多者在前；没有应探访对象的区划不参加排名。"
    )


def _progress_indicators(progress: Progress) -> list[tuple[str, Any, str]]:
    f = progress.figures
    corrections = sum(n for _when, n in progress.corrections)
    return [
        (_("应探访"), f.to_visit, "count"),
        (_("已探访"), f.visited, "count"),
        (_("未探访"), f.not_visited, "count"),
        (_("月探访率"), f.rate, "rate"),
        (_("较上月（个百分点）"), round(progress.change * 100, 1) if progress.change is not None else None, "points"),
        (_("上门探访"), f.visited_home, "count"),
        (_("电话问候"), f.visited_phone, "count"),
        (_("音视频探访"), f.visited_video, "count"),
        (_("其他方式"), f.visited_other, "count"),
        (_("不愿接受探访"), f.declined, "count"),
        (_("失能应探访"), f.disabled.get("to_visit", 0), "count"),
        (_("失能已探访"), f.disabled.get("visited", 0), "count"),
        (_("失能探访率"), f.group_rate(Group.DISABLED), "rate"),
        (_("失能上门探访"), f.disabled.get("visited_home", 0), "count"),
        (_("跟进新发起"), f.fu_opened, "count"),
        (_("跟进办结"), f.fu_done, "count"),
        (_("跟进逾期"), f.fu_overdue, "count"),
        (_("关爱服务次数"), f.services, "count"),
        (_("平均满意度"), f.satisfaction, "score"),
        (_("紧急事件"), f.incidents, "count"),
        (_("活跃探访人员"), f.visitors_active, "count"),
        (_("核查提示"), f.flagged, "count"),
        (_("审核不予认可"), f.rejected, "count"),
        (_("近12个月月结后补录"), corrections, "count"),
    ]


def _trend_headers() -> list[str]:
    return [_("月份"), _("应探访"), _("已探访"), _("月探访率"), _("月结状态"), _("补录")]


# --- PDF ---------------------------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back until the end, to print "第 n 页，共 m 页" and the title on each."""

    def __init__(self, *args: Any, footer: str = "", width: float = A4[0], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer, self._width = footer, width
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # what Canvas.showPage does after writing a page

    def save(self) -> None:
        for state in self._held:
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.drawString(15 * mm, 8 * mm, self._footer)
            pages = {"n": self.getPageNumber(), "total": len(self._held)}
            self.drawRightString(self._width - 15 * mm, 8 * mm, _("第 %(n)s 页，共 %(total)s 页") % pages)
            super().showPage()
        super().save()


def _head(text: str) -> Paragraph:
    """A header cell: bold, centred, wrapped between any two Chinese characters."""
    style = ParagraphStyle("head", parent=styles()["small"], fontName=FONT_BOLD, alignment=TA_CENTER)
    return Paragraph(escape(text), style)


def _grid(
    rows: list[list[Any]], widths: list[float], *, numbers: Sequence[int], header: bool = True, total: bool = False
) -> Table:
    """A table in the report's look; the columns `numbers` are set right, the header row centred."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    first = 1 if header else 0
    style: list[Any] = [
        ("FONT", (0, 0), (-1, -1), FONT, 7.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        *[("ALIGN", (column, first), (column, -1), "RIGHT") for column in numbers],
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), GREY),
            ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ]
    if total:
        style += [("FONT", (0, -1), (-1, -1), FONT_BOLD, 7.5), ("BACKGROUND", (0, -1), (-1, -1), GREY)]
    table.setStyle(TableStyle(style))
    return table


def _build(title: str, subject: str, story: list[Flowable], *, pagesize: tuple[float, float]) -> bytes:
    out = io.BytesIO()
    doc = a4_document(out, title=title, subject=subject, top_mm=12, bottom_mm=14, pagesize=pagesize)
    doc.build(story, canvasmaker=partial(_NumberedCanvas, footer=title, width=pagesize[0]))
    return out.getvalue()


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    """The 通报 to print: A4 landscape, the title, the month's line, the table, the 红黑榜, page numbers."""
    register_fonts()  # before the first paragraph is set
    page = landscape(A4)
    usable = page[0] - 30 * mm
    headers = _headers()
    widths = [36 * mm, 9 * mm] + [(usable - 45 * mm) / (len(headers) - 2)] * (len(headers) - 2)
    rows: list[list[Any]] = [[_head(h) for h in headers]]
    for row in bulletin.rows:
        values = _values(row.figures.region.name, row.rank, row.figures, row.change)
        rows.append([paragraph(values[0][0], "small")] + [_shown(v, k) for v, k in values[1:]])
    total = _total(bulletin)
    rows.append([paragraph(total[0][0], "label")] + [_shown(v, k) for v, k in total[1:]])
    story: list[Flowable] = [
        paragraph(bulletin.title, "title"),
        Spacer(1, 2 * mm),
        paragraph(_meta(bulletin.month, bulletin.status, bulletin.made_on), "small"),
        Spacer(1, 3 * mm),
        _grid(rows, widths, numbers=range(1, len(headers)), total=True),
        Spacer(1, 4 * mm),
        paragraph(_("红黑榜"), "section"),
        Spacer(1, 1.5 * mm),
        *[paragraph(line) for line in _roll_lines(bulletin)],
        Spacer(1, 3 * mm),
        paragraph(_bulletin_note(), "small"),
    ]
    return _build(bulletin.title, bulletin.region.code, story, pagesize=page)


def progress_pdf(progress: Progress) -> bytes:
    """The progress report to print: A4 portrait, the month's indicators two by two, the twelve months."""
    register_fonts()
    usable = A4[0] - 30 * mm
    indicators = [(label, _shown(value, kind)) for label, value, kind in _progress_indicators(progress)]
    pairs: list[list[Any]] = []
    for start in range(0, len(indicators), 2):
        left, right = indicators[start], indicators[start + 1] if start + 1 < len(indicators) else ("", "")
        pairs.append([paragraph(left[0], "label"), left[1], paragraph(right[0], "label"), right[1]])
    months: list[list[Any]] = [[_head(h) for h in _trend_headers()]]
    for point, status in progress.months:
        closed_since = status.corrections if status.state == "closed" else 0
        months.append(
            [
                month_label(point.month),
                str(point.to_visit),
                str(point.visited),
                _shown(point.rate, "rate"),
                state_of(status),
                str(closed_since),
            ]
        )
    corrections = progress.corrections
    if corrections:
        listed = "；".join(_("%(month)s %(n)s 条") % {"month": month_label(m), "n": n} for m, n in corrections)
        late = _("近12个月已月结的月份中，月结后又补录：%(list)s。月结数据不含补录，重新月结后计入。") % {
            "list": listed
        }
    else:
        late = _("近12个月已月结的月份没有月结后补录的记录。")
    story: list[Flowable] = [
        paragraph(progress.title, "title"),
        Spacer(1, 2 * mm),
        paragraph(_meta(progress.month, progress.status, progress.made_on), "small"),
        Spacer(1, 3 * mm),
        paragraph(_("一、本月进度"), "section"),
        Spacer(1, 1.5 * mm),
        _grid(pairs, [0.25 * usable] * 4, numbers=(1, 3), header=False),
        Spacer(1, 4 * mm),
        paragraph(_("二、近12个月探访率"), "section"),
        Spacer(1, 1.5 * mm),
        _grid(months, [w * usable for w in (0.2, 0.15, 0.15, 0.15, 0.2, 0.15)], numbers=(1, 2, 3, 5)),
        Spacer(1, 4 * mm),
        paragraph(_("三、月结后补录"), "section"),
        Spacer(1, 1.5 * mm),
        paragraph(late),
    ]
    return _build(progress.title, progress.region.code, story, pagesize=A4)
