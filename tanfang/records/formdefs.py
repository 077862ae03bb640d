"""Visit form templates as data: what a template may say, and what an answer to it may be.

A template is a JSON document (see `form_templates/henan-2023.json`):

    {"code": "henan-2023", "name": "…", "sections": [
        {"code": "health", "title": "…", "items": [
            {"code": "speech", "label": "…", "kind": "choice", "required": true,
             "options": [{"code": "same", "label": "无变化"},
                         {"code": "worse", "label": "较差", "finding": true}]},
            {"code": "illness", "label": "…", "kind": "choice",
             "options": [{"code": "serious", "label": "严重", "detail": "text", "finding": true}]},
            {"code": "needs", "label": "…", "kind": "text", "finding": true}]}]}

- Item and option codes are stable: analytics and the last-visit comparison use them, never labels.
- `kind` is "choice" (one option), "multi" (any number of options, none of them with a detail) or
  "text" (free text).
- An option's `detail` asks for more: "count" (a whole number ≥ 1, e.g. 增加 N 人) or "text"
  (e.g. the name of an illness).
- `finding: true` on an option means that answer is a finding (it leads to follow-up); on a text
  item it means any non-empty answer is one.
- `*_en` keys hold the English labels; Chinese is always there.
- "follow_ups" holds the rules that open follow-ups from the answers (`care.rules`): versioned with
  the template they read.

An answer is {item code: {"option": code, "count": n, "text": "…"}} with only the keys the item
needs; a multi-choice answer is {"options": [code, …]}. Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tanfang.care.rules import Rule, RulesInvalid, parse_rules
from tanfang.core.errors import FieldError

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KINDS = ("choice", "multi", "text")
DETAILS = ("count", "text")
MAX_TEXT = 500
MAX_COUNT = 50


class TemplateInvalid(ValueError):
    """A template document that cannot be used; the message says where, in Chinese."""


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    label_en: str = ""
    detail: str = ""
    finding: bool = False

    def title(self) -> str:
        return self.label_en if self.label_en and _english() else self.label


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    kind: str
    label_en: str = ""
    required: bool = True
    finding: bool = False
    options: tuple[Option, ...] = ()

    def title(self) -> str:
        return self.label_en if self.label_en and _english() else self.label

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    title_en: str = ""
    items: tuple[Item, ...] = ()

    def heading(self) -> str:
        return self.title_en if self.title_en and _english() else self.title


@dataclass(frozen=True)
class FormDefinition:
    code: str
    name: str
    name_en: str = ""
    sections: tuple[Section, ...] = ()
    follow_ups: tuple[Rule, ...] = ()
    has_rules: bool = False  # "follow_ups" given (an empty list means: this version opens nothing)

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def _text(node: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = node.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise TemplateInvalid(f"{where}：缺少“{key}”或不是文字")
    return value.strip()


def _code(node: dict[str, Any], where: str) -> str:
    value = node.get("code")
    if not isinstance(value, str) or not CODE.match(value):
        raise TemplateInvalid(f"{where}：编码“{value}”无效（小写字母开头，仅含小写字母、数字和下划线）")
    return value


def parse_definition(document: Any) -> FormDefinition:
    """Check a template document and return it as a FormDefinition; raise TemplateInvalid if it is wrong."""
    if not isinstance(document, dict):
        raise TemplateInvalid("模板应为一个 JSON 对象")
    code = document.get("code")
    if not isinstance(code, str) or not re.match(r"^[a-z0-9][a-z0-9-]{1,39}$", code):
        raise TemplateInvalid(f"模板编码“{code}”无效（小写字母、数字和连字符）")
    sections_doc = document.get("sections")
    if not isinstance(sections_doc, list) or not sections_doc:
        raise TemplateInvalid("模板至少要有一个部分（sections）")
    seen_items: set[str] = set()
    seen_sections: set[str] = set()
    sections = []
    for s_index, s_doc in enumerate(sections_doc, start=1):
        where = f"第{s_index}部分"
        if not isinstance(s_doc, dict):
            raise TemplateInvalid(f"{where}：应为一个对象")
        s_code = _code(s_doc, where)
        if s_code in seen_sections:
            raise TemplateInvalid(f"{where}：部分编码“{s_code}”重复")
        seen_sections.add(s_code)
        items_doc = s_doc.get("items")
        if not isinstance(items_doc, list) or not items_doc:
            raise TemplateInvalid(f"{where}：至少要有一个事项（items）")
        items = []
        for i_index, i_doc in enumerate(items_doc, start=1):
            items.append(_parse_item(i_doc, f"{where}第{i_index}项", seen_items))
        sections.append(
            Section(
                code=s_code,
                title=_text(s_doc, "title", where),
                title_en=_text(s_doc, "title_en", where, required=False),
                items=tuple(items),
            )
        )
    options = {i.code: {o.code for o in i.options} for s in sections for i in s.items}
    multi = {i.code for s in sections for i in s.items if i.kind == "multi"}
    try:
        rules = parse_rules(document.get("follow_ups"), options, multi)
    except RulesInvalid as error:
        raise TemplateInvalid(str(error)) from None
    return FormDefinition(
        code=code,
        name=_text(document, "name", "模板"),
        name_en=_text(document, "name_en", "模板", required=False),
        sections=tuple(sections),
        follow_ups=rules,
        has_rules="follow_ups" in document,
    )


def _parse_item(doc: Any, where: str, seen: set[str]) -> Item:
    if not isinstance(doc, dict):
        raise TemplateInvalid(f"{where}：应为一个对象")
    code = _code(doc, where)
    if code in seen:
        raise TemplateInvalid(f"{where}：事项编码“{code}”重复")
    seen.add(code)
    kind = doc.get("kind")
    if kind not in KINDS:
        raise TemplateInvalid(f"{where}：类型“{kind}”无效，应为 choice 或 text")
    required = doc.get("required", True)
    finding = doc.get("finding", False)
    if not isinstance(required, bool) or not isinstance(finding, bool):
        raise TemplateInvalid(f"{where}：required 和 finding 应为 true 或 false")
    options: list[Option] = []
    if kind in ("choice", "multi"):
        options_doc = doc.get("options")
        if not isinstance(options_doc, list) or len(options_doc) < 2:
            raise TemplateInvalid(f"{where}：单选事项至少要有两个选项")
        for o_index, o_doc in enumerate(options_doc, start=1):
            o_where = f"{where}第{o_index}个选项"
            if not isinstance(o_doc, dict):
                raise TemplateInvalid(f"{o_where}：应为一个对象")
            o_code = _code(o_doc, o_where)
            if any(o.code == o_code for o in options):
                raise TemplateInvalid(f"{o_where}：选项编码“{o_code}”重复")
            detail = o_doc.get("detail", "")
            if detail not in ("", *DETAILS):
                raise TemplateInvalid(f"{o_where}：detail“{detail}”无效，应为 count 或 text")
            if detail and kind == "multi":
                raise TemplateInvalid(f"{o_where}：多选事项的选项不能要求补充说明")
            o_finding = o_doc.get("finding", False)
            if not isinstance(o_finding, bool):
                raise TemplateInvalid(f"{o_where}：finding 应为 true 或 false")
            options.append(
                Option(
                    code=o_code,
                    label=_text(o_doc, "label", o_where),
                    label_en=_text(o_doc, "label_en", o_where, required=False),
                    detail=detail,
                    finding=o_finding,
                )
            )
    elif "options" in doc:
        raise TemplateInvalid(f"{where}：文字事项不能有选项")
    return Item(
        code=code,
        label=_text(doc, "label", where),
        label_en=_text(doc, "label_en", where, required=False),
        kind=kind,
        required=required,
        finding=finding,
        options=tuple(options),
    )


@dataclass
class CheckedAnswers:
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def check_answers(definition: FormDefinition, raw: Any, *, complete: bool = True) -> CheckedAnswers:
    """Check answers against a template; return the cleaned answers, the findings and the errors.

    `complete=False` (an attempt that was not a visit) lets required items stay empty; whatever is
    given must still be valid. Errors name the field as `answers.<item code>`.
    """
    result = CheckedAnswers()
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        result.errors.append(FieldError("answers", _("探访情况应为按事项编码填写的对象")))
        return result
    for code in raw:
        if definition.item(str(code)) is None:
            result.errors.append(
                FieldError(f"answers.{code}", _("事项“%(code)s”不在表单模板“%(name)s”中") % _names(code, definition))
            )
    for item in definition.items:
        where = f"answers.{item.code}"
        given = raw.get(item.code)
        if isinstance(given, str):  # a bare option code or text is accepted for convenience
            given = {"option": given} if item.kind == "choice" else {"text": given}
        elif isinstance(given, list) and item.kind == "multi":  # so is a bare list of option codes
            given = {"options": given} if given else None
        if given in (None, {}, ""):
            if complete and item.required:
                result.errors.append(FieldError(where, _("请填写“%(label)s”") % {"label": item.label}))
            continue
        if not isinstance(given, dict):
            result.errors.append(FieldError(where, _("“%(label)s”的答案格式不对") % {"label": item.label}))
            continue
        if item.kind == "multi":
            _check_multi(item, given, where, result, complete=complete)
            continue
        if item.kind == "text":
            text = given.get("text", "")
            if not isinstance(text, str):
                result.errors.append(FieldError(where, _("“%(label)s”应为文字") % {"label": item.label}))
                continue
            text = text.strip()
            if len(text) > MAX_TEXT:
                result.errors.append(
                    FieldError(where, _("“%(label)s”不能超过%(n)s个字") % {"label": item.label, "n": MAX_TEXT})
                )
                continue
            if text:
                result.answers[item.code] = {"text": text}
                if item.finding:
                    result.findings.append(item.code)
            elif complete and item.required:
                result.errors.append(FieldError(where, _("请填写“%(label)s”") % {"label": item.label}))
            continue
        option = item.option(str(given.get("option", "")))
        if option is None:
            result.errors.append(
                FieldError(
                    where,
                    _("“%(label)s”的选项“%(option)s”不在模板中")
                    % {"label": item.label, "option": given.get("option", "")},
                )
            )
            continue
        cleaned: dict[str, Any] = {"option": option.code}
        if option.detail == "count":
            count = given.get("count")
            if isinstance(count, str) and count.strip().isdigit():
                count = int(count)
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
                result.errors.append(
                    FieldError(
                        where,
                        _("“%(label)s”选“%(option)s”时请填写人数（1到%(n)s）")
                        % {"label": item.label, "option": option.label, "n": MAX_COUNT},
                    )
                )
                continue
            cleaned["count"] = count
        elif option.detail == "text":
            text = given.get("text", "")
            if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_TEXT:
                result.errors.append(
                    FieldError(
                        where,
                        _("“%(label)s”选“%(option)s”时请填写说明（不超过%(n)s字）")
                        % {"label": item.label, "option": option.label, "n": MAX_TEXT},
                    )
                )
                continue
            cleaned["text"] = text.strip()
        result.answers[item.code] = cleaned
        if option.finding:
            result.findings.append(item.code)
    return result


def _check_multi(item: Item, given: dict[str, Any], where: str, result: CheckedAnswers, *, complete: bool) -> None:
    chosen = given.get("options", [])
    if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
        result.errors.append(FieldError(where, _("“%(label)s”应为选项编码的列表") % {"label": item.label}))
        return
    unknown = [c for c in chosen if item.option(c) is None]
    if unknown:
        result.errors.append(
            FieldError(
                where,
                _("“%(label)s”的选项“%(option)s”不在模板中") % {"label": item.label, "option": unknown[0]},
            )
        )
        return
    codes = [o.code for o in item.options if o.code in set(chosen)]  # template order, each once
    if not codes:
        if complete and item.required:
            result.errors.append(FieldError(where, _("请填写“%(label)s”") % {"label": item.label}))
        return
    result.answers[item.code] = {"options": codes}
    if item.finding or any(o.finding for o in item.options if o.code in codes):
        result.findings.append(item.code)


def _names(code: object, definition: FormDefinition) -> dict[str, object]:
    return {"code": code, "name": definition.name}


def describe(item: Item, answer: dict[str, Any] | None) -> str:
    """An answer as a person reads it: 增加 2 人, 严重（脑梗）, or the text."""
    if not answer:
        return ""
    if item.kind == "text":
        return str(answer.get("text", ""))
    if item.kind == "multi":
        chosen = [item.option(str(code)) for code in answer.get("options") or ()]
        return "、".join(o.title() for o in chosen if o is not None)
    option = item.option(str(answer.get("option", "")))
    if option is None:
        return str(answer.get("option", ""))
    if option.detail == "count":
        return _("%(option)s%(count)s人") % {"option": option.title(), "count": answer.get("count", "")}
    if option.detail == "text":
        return f"{option.title()}（{answer.get('text', '')}）"
    return option.title()
