"""The printed record form (特殊困难老年人探访关爱服务记录表), in the layout of the Henan plan's attachment.

Each visit prints as two copies on A4 — one kept by the county civil-affairs department, one by the
township, as the form's note asks — with all six sections: the elder (1), the household (2),
living conditions (3), assistance received (4), the visit with its signatures (5) and care
services (6: the elder's care services from the visit's day until its next visit, each with its
number, date, content, the server's signature or seal, satisfaction and remarks; left blank to be
filled in by hand when there are none). Every piece
of text, the page numbers and the canvas's own starting font included, is set in Noto Sans SC,
embedded (subset) in the file, so the PDF reads the same on any machine.

Each copy is laid out to end on its own sheet: a usual record fills one A4 page. One too long for a
page (a large household, long answers) breaks deliberately before the visit, sections 5 and 6
together on the next sheet, rather than spilling a few lines onto a nearly blank page.

Sections 1–4 show the registry as the visit left it: the snapshot stored with the record
(`records.snapshot`). A record without one (stored before snapshots existed, and not filled by records
migration 0005) falls back to the registry as it is now.

A print is masked unless the person asks for full numbers and says why, once per print job (one
request, one visit or a village's month): only a role that may reveal may ask, and the job is then
audited like a reveal. Every print is audited. A village's month is printed by a role that sees a
region's figures (never a visitor); a township's month only up to MAX_PRINT_VISITS records. A month
leaves out the visits a reviewer rejected, and lists its attempts (nobody home, refused, in hospital,
moved) one line each after the forms, rather than as forms of their own.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.care.care_services import care_services_since_visits_unscoped
from tanfang.care.models import CareService
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.id_numbers import Sex
from tanfang.core.pdf import FONT, register_fonts
from tanfang.core.pdf import box as _box
from tanfang.core.pdf import paragraph as _p
from tanfang.core.pdf import yes_no as _yes_no
from tanfang.core.roles import Permission, RegionLevel
from tanfang.core.scope import Actor
from tanfang.elders.models import (
    BenefitKind,
    Group,
    HelpingUnit,
    Subsistence,
)
from tanfang.elders.personal_data import FullNumbers, common_path, reveal_for_print
from tanfang.records import snapshot
from tanfang.records.formdefs import FormDefinition
from tanfang.records.models import VisitRecord
from tanfang.regions.models import Region
from tanfang.regions.paths import codes_of
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.regions.selectors import region_names_unscoped
from tanfang.visits.models import Method, Outcome, Visit

COPIES = (gettext_lazy("第一联：县级民政部门存档"), gettext_lazy("第二联：乡镇（街道）存档"))
PAGE_WIDTH = A4[0] - 24 * mm
CELL_PADDING = 1.2  # points above and below a cell's text: room for forty-odd rows on one sheet
SECTION_GAP = 1.5 * mm
# A section starts on the next sheet unless its heading and two rows fit: never an orphaned heading. Not
# keepWithNext, which would carry a whole household table over and leave the first sheet half empty.
SECTION_START = 15 * mm
CARE_SECTION = 36 * mm  # section 6, heading and blank table, which is never split
FOUR_COLUMNS = (0.15, 0.35, 0.15, 0.35)  # label, value, label, value: the visit's answers two to a row


def _table(rows: list[list[Any]], widths: Sequence[float], style: Iterable[tuple[Any, ...]] = ()) -> Table:
    """A table whose own cell font is ours too: ReportLab's default for a table is Helvetica, not embedded."""
    table = Table(rows, colWidths=[w * PAGE_WIDTH for w in widths])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), *style]))
    return table


def _grid(rows: list[list[Any]], widths: Sequence[float], spans: Iterable[tuple[Any, ...]] = ()) -> Table:
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("SPAN", *span) for span in spans]
    return _table(rows, widths, style)


def _signature(content: Any, width_mm: float = 32) -> Flowable | Paragraph:
    if not content:
        return _p("")
    data = bytes(content)
    try:
        image = Image(io.BytesIO(data))
    except (OSError, ValueError):  # a stored signature is checked on the way in; never let one break a print
        return _p(_("（签名无法显示）"), "small")
    ratio = image.imageHeight / image.imageWidth if image.imageWidth else 0.4
    width = width_mm * mm
    height = min(width * ratio, 12 * mm)
    return Image(io.BytesIO(data), width=height / ratio if ratio else width, height=height)


class _Facts:
    """What one form needs, read once: the registry as the visit left it, the visit, its record."""

    def __init__(
        self,
        visit: Visit,
        *,
        registry: snapshot.Registry,
        full: FullNumbers | None,
        care: Sequence[CareService] = (),
    ) -> None:
        """`registry`: sections 1–4 (`_registry_of`); `full`: those numbers in full, or None for masked
        copies; `care`: the care services section 6 lists."""
        self.visit = visit
        self.care = list(care)
        self.record: VisitRecord | None = getattr(visit, "record", None)
        self.registry = registry
        self.phone = full.phone if full else registry.phone.masked
        self.certificate = full.disability_certificate if full else registry.disability_certificate.masked
        self.groups = set(registry.groups)
        self.contact = registry.contact
        self.contact_phone = ""
        if self.contact is not None:
            self.contact_phone = full.contact_phones.get(self.contact.id, "") if full else self.contact.phone.masked
        self.household = [
            (m, full.member_id_numbers.get(m.id, "") if full else m.id_number.masked) for m in registry.household
        ]
        self.benefits = registry.benefits
        self.assistance = registry.assistance
        self.county, self.township, self.village = registry.county, registry.township, registry.village


def _section1(f: _Facts) -> list[Flowable]:
    e = f.registry
    g = f.groups
    rows: list[list[Any]] = [
        [_p(_("家庭住址"), "label"), _p(f"{f.county}  {f.township}  {f.village}\n{e.address}"), "", "",
         _p(_("是否居住在户籍所在地"), "label"), _p(_yes_no(e.lives_at_registration))],
        [_p(_("被探访人姓名"), "label"), _p(e.name), _p(_("联系电话"), "label"), _p(f.phone),
         _p(_("紧急联系人及电话"), "label"),
         _p(f"{f.contact.name}（{f.contact.relation}）{f.contact_phone}" if f.contact else "")],
        [_p(_("是否残疾"), "label"), _p(_yes_no(e.disabled)),
         _p(_("残疾人证号"), "label"), _p(f.certificate),
         _p(_("是否独居、空巢"), "label"), _p(_yes_no(bool(g & {Group.LIVING_ALONE, Group.EMPTY_NEST})))],
        [_p(_("是否留守"), "label"), _p(_yes_no(Group.LEFT_BEHIND in g)),
         _p(_("是否失能"), "label"), _p(_yes_no(Group.DISABLED in g)),
         _p(_("是否计划生育特殊家庭老年人"), "label"), _p(_yes_no(Group.SPECIAL_FAMILY in g))],
    ]  # fmt: skip
    return [
        _p(_("一、探访对象基本情况"), "section"),
        # widths that hold a 20-digit certificate number and a contact with phone on one line each
        _grid(rows, [0.12, 0.13, 0.11, 0.21, 0.19, 0.24], spans=[((1, 0), (3, 0))]),
    ]


def _section2(f: _Facts) -> list[Flowable]:
    header = [_p(t, "label") for t in (_("序号"), _("姓名"), _("性别"), _("公民身份号码"), _("与户主关系"),
                                        _("健康状况"), _("是否为低保对象/特困人员"))]  # fmt: skip
    rows = [header]
    subsistence = dict(Subsistence.choices)
    sexes = dict(Sex.choices)
    for index, (member, number) in enumerate(f.household, start=1):
        rows.append(
            [_p(index), _p(member.name), _p(sexes.get(member.sex, member.sex) if member.sex else ""), _p(number),
             _p(member.relation_to_head), _p(member.health), _p(subsistence.get(member.subsistence, _("否")))]
        )  # fmt: skip
    while len(rows) < 5:
        rows.append([_p(len(rows)), *[_p("") for _ in range(6)]])
    return [
        _p(_("二、家庭基本情况（户主在前）"), "section"),
        _grid(rows, [0.06, 0.13, 0.06, 0.21, 0.13, 0.19, 0.22]),
    ]


def _section3(f: _Facts) -> list[Flowable]:
    e = f.registry
    kinds = dict(BenefitKind.choices)
    benefits = "；".join(f"{kinds.get(b.kind, b.kind)} {b.monthly_amount}元" for b in f.benefits) or _("无")
    income = e.household_income
    rows: list[list[Any]] = [
        [_p(_("饮水是否安全"), "label"), _p(_yes_no(e.drinking_water_safe)),
         _p(_("生活用电是否安全"), "label"), _p(_yes_no(e.electricity_safe))],
        [_p(_("住房是否安全"), "label"), _p(_yes_no(e.housing_safe)),
         _p(_("家庭每月收入（元）"), "label"), _p(income)],
        [_p(_("家庭每月领取养老保险、社会救助和社会福利补贴等情况"), "label"), "", _p(benefits), ""],
    ]  # fmt: skip
    spans = [((0, 2), (1, 2)), ((2, 2), (3, 2))]  # the long label on one line rather than three
    return [_p(_("三、家庭生活条件"), "section"), _grid(rows, [0.2, 0.3, 0.2, 0.3], spans=spans)]


def _section4(f: _Facts) -> list[Flowable]:
    used = {a.unit_type for a in f.assistance}
    units = "  ".join(_box(code in used, str(label)) for code, label in HelpingUnit.choices)
    names = "；".join(a.unit_name for a in f.assistance if a.unit_name)
    people = "；".join(a.responsible_person for a in f.assistance if a.responsible_person)
    measures = "；".join(a.measures for a in f.assistance if a.measures)
    rows = [
        [_p(_("帮扶单位（组织）"), "label"), _p(units + (f"\n{names}" if names else ""))],
        [_p(_("帮扶责任人"), "label"), _p(people)],
        [_p(_("帮扶措施"), "label"), _p(measures)],
    ]
    return [_p(_("四、已享受帮扶情况"), "section"), _grid(rows, [0.2, 0.8])]


def _section5(f: _Facts) -> list[Flowable]:
    visit, record = f.visit, f.record
    methods = "  ".join(_box(visit.method == code, str(label)) for code, label in Method.choices)
    day = visit.day
    number = record.number if record and record.number else ""
    head = _("第 %(n)s 次开展探访　　%(y)s 年 %(m)s 月 %(d)s 日") % {
        "n": number,
        "y": day.year,
        "m": day.month,
        "d": day.day,
    }
    # (label, value, whole row?): the choice items go two to a row, which is what lets a copy fit one sheet
    cells: list[tuple[str, str, bool]] = [(_("探访方式"), methods, True), (_("探访次数及日期"), head, True)]
    if visit.outcome != Outcome.VISITED:
        cells.append((_("未能探访"), f"{Outcome(visit.outcome).label}　{visit.note}", True))
    form: FormDefinition | None = record.template.form if record else None
    answers = record.answers if record else {}
    if form is not None:
        for item in form.items:
            given = answers.get(item.code) or {}
            if item.kind == "text":
                cells.append((item.label, given.get("text", ""), True))
                continue
            parts = []
            for option in item.options:
                chosen = given.get("option") == option.code
                label = option.label
                if option.detail == "count":
                    label += f" {given.get('count', '__') if chosen else '__'} 人"
                elif option.detail == "text":
                    label += f"：{given.get('text', '') if chosen else '______'}"
                parts.append(_box(chosen, label))
            cells.append((item.label, "  ".join(parts), False))
    if visit.outcome == Outcome.VISITED and visit.note:
        cells.append((_("说明"), visit.note, True))
    rows, spans = _paired_rows(cells)
    signatures: list[list[Any]] = [
        [_p(_("信息录入人（签字）"), "label"), _p(_("被探访人（签字）"), "label"), _p(_("探访人员（签字）"), "label")],
        [
            [_signature(record.entry_signature), _p(record.entered_by_name, "small")] if record else _p(""),
            [_signature(record.elder_signature),
             _p(_("未签字原因：%(r)s") % {"r": record.elder_unsigned_reason}, "small")
             if record.elder_unsigned_reason else _p("")] if record else _p(""),
            [_signature(record.visitor_signature), _p(visit.visitor.name if visit.visitor else "", "small")]
            if record else _p(""),
        ],
    ]  # fmt: skip
    sign_table = _table(
        signatures,
        [1 / 3] * 3,
        [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("MINROWHEIGHT", (0, 1), (-1, 1), 15 * mm),
            # not a KeepTogether: nested in the one of `_form` it would measure as endless and always break
            ("NOSPLIT", (0, 0), (-1, -1)),
        ],
    )
    return [_p(_("五、探访情况"), "section"), _grid(rows, FOUR_COLUMNS, spans), sign_table]


def _paired_rows(cells: Sequence[tuple[str, str, bool]]) -> tuple[list[list[Any]], list[tuple[Any, ...]]]:
    """Lay (label, value, whole row?) cells out in four columns: whole-row values span three, the others pair up.

    A short item left without a partner (before a whole row or at the end) spans the row as well.
    """
    rows: list[list[Any]] = []
    spans: list[tuple[Any, ...]] = []
    waiting: tuple[str, str] | None = None

    def whole(label: str, value: str) -> None:
        spans.append(((1, len(rows)), (3, len(rows))))
        rows.append([_p(label, "label"), _p(value), "", ""])

    for label, value, alone in cells:
        if alone:
            if waiting:
                whole(*waiting)
                waiting = None
            whole(label, value)
        elif waiting:
            rows.append([_p(waiting[0], "label"), _p(waiting[1]), _p(label, "label"), _p(value)])
            waiting = None
        else:
            waiting = (label, value)
    if waiting:
        whole(*waiting)
    return rows, spans


def _section6(f: _Facts) -> list[Flowable]:
    if f.care:
        return [_p(_("六、关爱服务情况"), "section"), _care_table(f.care)]
    rows = [
        [_p(_("第 ___ 次开展关爱　　____ 年 ___ 月 ___ 日"), "cell")],
        [_p(_("关爱服务情况：") + "\n\n\n")],
        [_p(_("服务人员签字（盖章）：　　　　　　　　　　　年　　月　　日"))],
        [_p(_("老年人服务满意度评价：") + "\n")],
    ]
    table = _grid(rows, [1.0])
    table.setStyle(TableStyle([("NOSPLIT", (0, 0), (-1, -1))]))
    return [_p(_("六、关爱服务情况"), "section"), table]


def _care_table(services: Sequence[CareService]) -> Table:
    """One row per care service: number, date, what was done, signature or seal, satisfaction, remarks."""
    header = [_p(t, "label") for t in (_("次数"), _("日期"), _("关爱服务情况"), _("服务人员签字（盖章）"),
                                        _("满意度评价"), _("备注"))]  # fmt: skip
    rows: list[list[Any]] = [header]
    for service in services:
        signed: list[Any] = []
        if service.server_signature:
            signed.append(_signature(service.server_signature, 28))
        if service.seal:
            signed.append(_signature(service.seal, 28))
        signed.append(_p(service.server_name, "small"))
        rows.append(
            [
                _p(_("第%(n)s次") % {"n": service.number}),
                _p(f"{service.served_on:%Y-%m-%d}"),
                _p(service.content),
                signed,
                _p(service.get_satisfaction_display()),
                _p(service.remarks, "small"),
            ]
        )
    table = _grid(rows, [0.08, 0.12, 0.36, 0.2, 0.11, 0.13])
    table.repeatRows = 1  # a long list carried onto the next sheet keeps its heading
    return table


def _form(f: _Facts, copy: str) -> list[Flowable]:
    day = f.visit.day
    heading = _table(
        [
            [
                _p(copy, "small"),
                _p(_("%(y)s 年 %(m)s 月 %(d)s 日") % {"y": day.year, "m": day.month, "d": day.day}, "right"),
            ]
        ],
        [0.5, 0.5],
        [("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)],
    )
    # The visit and the care services stay together: on the first sheet when they fit, else all on the
    # next one, so a copy that needs two sheets never ends on one holding a few stray lines.
    visit_and_care = KeepTogether(
        [
            *_section5(f),
            Spacer(0, SECTION_GAP),
            CondPageBreak(CARE_SECTION),  # only ever acts when the visit alone outgrows a sheet
            *_section6(f),
            Spacer(0, SECTION_GAP),
            _p(_("备注：此表一式两份，县级民政部门、乡镇（街道）各存档一份。"), "small"),
        ]
    )
    return [
        _p(_("特殊困难老年人探访关爱服务记录表"), "title"),
        heading,
        Spacer(0, SECTION_GAP),
        *_section1(f),
        Spacer(0, SECTION_GAP),
        CondPageBreak(SECTION_START),
        *_section2(f),
        Spacer(0, SECTION_GAP),
        CondPageBreak(SECTION_START),
        *_section3(f),
        Spacer(0, SECTION_GAP),
        CondPageBreak(SECTION_START),
        *_section4(f),
        Spacer(0, SECTION_GAP),
        visit_and_care,
    ]


def _ymd(day: dt.date) -> dict[str, int]:
    return {"y": day.year, "m": day.month, "d": day.day}


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.drawRightString(A4[0] - 12 * mm, 8 * mm, _("第 %(n)s 页") % {"n": doc.page})
    canvas.restoreState()


def _kept_snapshot(visit: Visit) -> dict[str, Any]:
    record: VisitRecord | None = getattr(visit, "record", None)
    return record.registry_snapshot if record is not None and record.registry_snapshot else {}


def _registry_of(visit: Visit, regions: Mapping[str, str]) -> snapshot.Registry:
    """Sections 1–4 of a visit's form: the snapshot kept with its record; for a record stored before
    snapshots existed (none kept), the registry as it is now. `regions` names the codes of the elders'
    paths that have no snapshot."""
    kept = _kept_snapshot(visit)
    return snapshot.read(kept or snapshot.take(visit.elder, regions))


def _full_numbers(
    visit: Visit, registry: snapshot.Registry, numbers: dict[int, FullNumbers] | None
) -> FullNumbers | None:
    """The form's numbers in full when the job revealed this elder's (`reveal_for_print`), else None:
    the snapshot's own numbers for a record that kept one, the registry's for one that did not."""
    revealed = numbers.get(visit.elder_id) if numbers else None
    if revealed is None:
        return None
    return snapshot.numbers_in_full(registry) if _kept_snapshot(visit) else revealed


def _attempts(visits: Sequence[Visit], regions: Mapping[str, str]) -> list[Flowable]:
    """The attempts of a month (nobody home, refused, in hospital, moved), one line each: date, elder,
    outcome, visitor, note."""
    header = [_p(t, "label") for t in (_("日期"), _("被探访人姓名"), _("未能探访原因"), _("探访人员"), _("说明"))]
    rows: list[list[Any]] = [header]
    for visit in visits:
        rows.append(
            [
                _p(f"{visit.day:%Y-%m-%d}"),
                _p(_registry_of(visit, regions).name),
                _p(Outcome(visit.outcome).label),
                _p(visit.visitor.name if visit.visitor else ""),
                _p(visit.note),
            ]
        )
    table = _grid(rows, [0.13, 0.15, 0.14, 0.15, 0.43])
    table.repeatRows = 1
    return [
        _p(_("未能探访记录"), "title"),
        _p(_("以下探访未能完成，不单独填写记录表，共 %(n)d 次。") % {"n": len(visits)}, "small"),
        Spacer(0, SECTION_GAP),
        table,
    ]


def render(visits: Sequence[Visit], *, numbers: dict[int, FullNumbers] | None, attempts_listed: bool = False) -> bytes:
    """The forms of these visits, each in duplicate, as one PDF; numbers in full where `numbers` has
    the elder (from elders.personal_data.reveal_for_print), masked otherwise. With `attempts_listed`
    (a month), the attempts are not forms but one line each in a table after them (`_attempts`)."""
    register_fonts()
    forms = [v for v in visits if not attempts_listed or v.outcome == Outcome.VISITED]
    attempts = [v for v in visits if attempts_listed and v.outcome != Outcome.VISITED]
    codes = {c for v in visits if not _kept_snapshot(v) for c in codes_of(v.elder.region_path)}
    regions = region_names_unscoped(codes) if codes else {}
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=12 * mm,
        # The canvas opens every page with a font of its own (Helvetica unless told): never embedded
        initialFontName=FONT,
        initialFontSize=9,
        title=_("特殊困难老年人探访关爱服务记录表"),
        author="Tanfang",
        subject=", ".join(str(v.pk) for v in visits[:20]),
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="form")
    doc.addPageTemplates([PageTemplate(id="A4", frames=[frame], onPage=_footer)])
    care = care_services_since_visits_unscoped(visits)
    story: list[Flowable] = []
    for visit in forms:
        registry = _registry_of(visit, regions)
        full = _full_numbers(visit, registry, numbers)
        facts = _Facts(visit, registry=registry, full=full, care=care.get(visit.pk, ()))
        for copy in COPIES:
            if story:
                story.append(PageBreak())
            story.extend(_form(facts, str(copy)))
    if attempts:
        if story:
            story.append(PageBreak())
        story.extend(_attempts(attempts, regions))
    if not story:
        story.append(_p(_("没有符合条件的探访记录"), "title"))
    doc.build(story)
    return out.getvalue()


def _prefetched(visits: Iterable[Visit]) -> list[Visit]:
    ids = [v.pk for v in visits]
    rows = (
        Visit.objects.filter(pk__in=ids)
        .select_related("elder", "visitor", "record", "record__template")
        .prefetch_related(
            "elder__groups", "elder__contacts", "elder__household", "elder__benefits", "elder__assistance"
        )
    )
    order = {pk: i for i, pk in enumerate(ids)}
    return sorted(rows, key=lambda v: order[v.pk])


COMMAND_LINE_REASON = "命令行打印探访记录表"
MAX_PRINT_VISITS = 500  # a township's month beyond this is printed village by village


def print_visits(
    *, actor: Actor | None, visits: Sequence[Visit], reason: str | None = None, attempts_listed: bool = False
) -> bytes:
    """Print visits the caller has already been allowed to see, as one print job; audited.

    Without a reason every number is masked, whoever asks: a masked print asks nothing. With one (the
    person's own words, at least two characters; ValidationFailed otherwise) the numbers are printed in
    full, for a role that may reveal them in its scope (PermissionDenied otherwise), and the job is
    audited like a reveal: one PERSONAL_DATA_REVEALED event with the reason, the elders and the visits
    (elders.personal_data.reveal_for_print). Every job, masked or full, is also one VISIT_FORM_PRINTED
    event listing its visits. `actor=None` is the command line: full numbers, with COMMAND_LINE_REASON
    unless a reason is given. With `attempts_listed` (a month) attempts print as one line each, without
    numbers, so only the elders of the forms count as revealed.
    """
    rows = _prefetched(visits)
    elders = list({v.elder_id: v.elder for v in rows}.values())
    if actor is None and reason is None:
        reason = COMMAND_LINE_REASON
    full = reason is not None
    forms = [v for v in rows if not attempts_listed or v.outcome == Outcome.VISITED]
    numbers = (
        reveal_for_print(
            actor=actor,
            elders=list({v.elder_id: v.elder for v in forms}.values()),
            reason=reason or "",
            visits=[v.pk for v in forms],
        )
        if full
        else None
    )
    content = render(rows, numbers=numbers, attempts_listed=attempts_listed)
    details: dict[str, Any] = {"visits": [v.pk for v in rows][:MAX_PRINT_VISITS], "count": len(rows), "full": full}
    if full:
        details["reason"] = (reason or "").strip()[:200]
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.VISIT_FORM_PRINTED,
            subject=rows[0].elder if len(elders) == 1 else None,
            region_path=common_path([v.region_path for v in rows]) if rows else None,
            details=details,
        )
    return content


def month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first day of the month and the first day of the next."""
    first = dt.date(year, month, 1)
    return first, dt.date(year + (month == 12), month % 12 + 1, 1)


def visits_of_village_month(region: Region, year: int, month: int) -> list[Visit]:
    """A village's visits and attempts of a month, in the order they happened; or a township's, up to
    MAX_PRINT_VISITS. Visits a reviewer rejected are left out: they were not made as recorded.
    Unchecked: the caller has the right (`visits_for_month_print`, or the command line).

    Raises ValidationFailed for a region above a township, and for a township's month past the bound,
    saying how many records it has and to print village by village.
    """
    if region.level not in (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP):
        raise ValidationFailed(errors=[FieldError("region", _("请选择一个村（社区），或一个乡镇（街道）"))])
    first, following = month_span(year, month)
    visits = Visit.objects.filter(
        region_path__startswith=region.path, day__gte=first, day__lt=following, rejected=False
    )
    if region.level == RegionLevel.TOWNSHIP:
        count = visits.count()
        if count > MAX_PRINT_VISITS:
            message = _("该乡镇本月共有 %(n)d 条探访记录，超过一次打印上限 %(max)d 条，请按村打印") % {
                "n": count,
                "max": MAX_PRINT_VISITS,
            }
            raise ValidationFailed(errors=[FieldError("region", message)])
    return list(visits.order_by("day", "occurred_at", "pk"))


def region_for_month_print(actor: Actor, code: str) -> Region:
    """The region whose month the actor would print: PermissionDenied without VIEW_FIGURES (a visitor),
    NotFound outside the scope."""
    require_permission(actor, Permission.VIEW_FIGURES)
    return get_region_for(actor, code)


def visits_for_month_print(*, actor: Actor, region: Region, year: int, month: int) -> list[Visit]:
    """The visits of a village's (or a township's) month, for a role that may see a region's figures.

    The region comes from `regions.scoping.get_region_for`, so it is inside the actor's scope. A role
    without VIEW_FIGURES (a visitor, who sees only its own elders) raises PermissionDenied; see
    `visits_of_village_month` for the rest.
    """
    require_permission(actor, Permission.VIEW_FIGURES)
    return visits_of_village_month(region, year, month)


def print_month(*, actor: Actor, region: Region, year: int, month: int, reason: str | None = None) -> bytes:
    """Print a village's (or a township's) month as one job: `visits_for_month_print`, then `print_visits`,
    the month's attempts listed one line each after the forms."""
    return print_visits(
        actor=actor,
        visits=visits_for_month_print(actor=actor, region=region, year=year, month=month),
        reason=reason,
        attempts_listed=True,
    )
