"""Follow-up rules as data: which answers of a visit form open which follow-ups.

The rules live in the form template's document, under "follow_ups", so they are versioned with the
form they read (loaded by `tanfang form_templates load`):

    "follow_ups": [
      {"code": "housing_unsafe", "kind": "hazard", "recheck_days": 30,
       "title": "住房存在安全隐患", "when": [{"item": "housing", "options": ["unsafe"]}]},
      {"code": "economy_worse", "kind": "economic", "title": "经济状况变差",
       "when": [{"item": "economy", "options": ["worse"]}],
       "unless": [{"item": "assistance", "any": true}]},
      {"code": "needs", "kind": "provider", "each": "need_kinds", "title": "服务需求"}]

- `when`: every condition holds (an item answered with one of `options`, or `any` answer at all);
  `unless`: none of them does.
- `each`: a multi-choice item; the rule opens one referral per option chosen, of that service kind.
- `kind` is a follow-up kind (`FollowUpKind`); `service_kind` a provider kind for a referral.
- `recheck_days` (hazards): a later home visit is due within that many days, until a visit finds
  the hazard gone.

A follow-up is identified per elder by its key: the rule's code, or "provider:<service kind>" for a
referral, so two rules asking for the same kind of provider open one referral. Nothing here touches
the database; `care.services.open_follow_ups` stores what `evaluate` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation

from tanfang.care.models import FollowUpKind, ServiceKind

MAX_RECHECK_DAYS = 365


class RulesInvalid(ValueError):
    """A rules document that cannot be used; the message says where, in Chinese."""


@dataclass(frozen=True)
class Condition:
    item: str
    options: frozenset[str] = frozenset()  # empty: any answer

    def holds(self, answers: Mapping[str, Mapping[str, Any]]) -> bool:
        answer = answers.get(self.item)
        if not answer:
            return False
        chosen = set(answer.get("options") or ()) | ({answer["option"]} if answer.get("option") else set())
        if not self.options:
            return bool(chosen or str(answer.get("text", "")).strip())
        return bool(chosen & self.options)


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    title: str
    when: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    each: str = ""
    service_kind: str = ""
    recheck_days: int | None = None


@dataclass(frozen=True)
class Opening:
    """A follow-up a visit's answers call for."""

    key: str
    kind: str
    service_kind: str
    title: str
    detail: str
    recheck_days: int | None


def _conditions(doc: Any, where: str, items: Mapping[str, set[str]]) -> tuple[Condition, ...]:
    if doc is None:
        return ()
    if not isinstance(doc, list):
        raise RulesInvalid(f"{where}：应为条件列表")
    conditions = []
    for index, node in enumerate(doc, start=1):
        at = f"{where}第{index}个条件"
        if not isinstance(node, dict) or not isinstance(node.get("item"), str):
            raise RulesInvalid(f"{at}：应写明事项编码 item")
        item = node["item"]
        if item not in items:
            raise RulesInvalid(f"{at}：事项“{item}”不在表单中")
        options = node.get("options")
        if options is None:
            if node.get("any") is not True:
                raise RulesInvalid(f"{at}：应给出 options 或 any: true")
            conditions.append(Condition(item))
            continue
        if not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
            raise RulesInvalid(f"{at}：options 应为选项编码列表")
        unknown = [o for o in options if o not in items[item]]
        if unknown:
            raise RulesInvalid(f"{at}：事项“{item}”没有选项“{unknown[0]}”")
        conditions.append(Condition(item, frozenset(options)))
    return tuple(conditions)


def parse_rules(doc: Any, items: Mapping[str, set[str]], multi_items: set[str]) -> tuple[Rule, ...]:
    """Check a template's "follow_ups" against its items ({item code: option codes}).

    `multi_items` are the multi-choice items, the only ones `each` may name.
    """
    if doc is None:
        return ()
    if not isinstance(doc, list):
        raise RulesInvalid("follow_ups：应为规则列表")
    rules: list[Rule] = []
    for index, node in enumerate(doc, start=1):
        where = f"第{index}条跟进规则"
        if not isinstance(node, dict):
            raise RulesInvalid(f"{where}：应为一个对象")
        code = node.get("code")
        if not isinstance(code, str) or not code or len(code) > 40:
            raise RulesInvalid(f"{where}：缺少规则编码 code")
        if any(r.code == code for r in rules):
            raise RulesInvalid(f"{where}：规则编码“{code}”重复")
        kind = node.get("kind")
        if kind not in FollowUpKind.values:
            raise RulesInvalid(f"{where}：跟进类别“{kind}”无效")
        title = node.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 100:
            raise RulesInvalid(f"{where}：缺少事项名称 title（不超过100字）")
        each = node.get("each", "")
        if each and each not in multi_items:
            raise RulesInvalid(f"{where}：each 应为多选事项，“{each}”不是")
        if each and not set(items[each]) <= set(ServiceKind.values):
            raise RulesInvalid(f"{where}：多选事项“{each}”的选项应为服务类别")
        service_kind = node.get("service_kind", "")
        if service_kind and service_kind not in ServiceKind.values:
            raise RulesInvalid(f"{where}：服务类别“{service_kind}”无效")
        if kind == FollowUpKind.PROVIDER and not (each or service_kind):
            raise RulesInvalid(f"{where}：转介服务机构的规则应写明 service_kind 或 each")
        recheck = node.get("recheck_days")
        if recheck is not None and (
            not isinstance(recheck, int) or isinstance(recheck, bool) or not 1 <= recheck <= MAX_RECHECK_DAYS
        ):
            raise RulesInvalid(f"{where}：recheck_days 应为 1 到 {MAX_RECHECK_DAYS} 的整数")
        when = _conditions(node.get("when"), f"{where}的 when", items)
        if not when and not each:
            raise RulesInvalid(f"{where}：应有 when 条件或 each")
        rules.append(
            Rule(
                code=code,
                kind=kind,
                title=title.strip(),
                when=when,
                unless=_conditions(node.get("unless"), f"{where}的 unless", items),
                each=each,
                service_kind=service_kind,
                recheck_days=recheck,
            )
        )
    return tuple(rules)


def key_of(kind: str, service_kind: str, code: str) -> str:
    return f"provider:{service_kind}" if kind == FollowUpKind.PROVIDER and service_kind else code


def evaluate(
    rules: Sequence[Rule],
    answers: Mapping[str, Mapping[str, Any]],
    describe: Callable[[str], str] = lambda item: "",
) -> list[Opening]:
    """The follow-ups these answers call for, one per key, in rule order.

    `describe(item code)` gives the answer as a person reads it, for the follow-up's detail.
    """
    openings: dict[str, Opening] = {}
    for rule in rules:
        if not all(c.holds(answers) for c in rule.when) or any(c.holds(answers) for c in rule.unless):
            continue
        detail = "；".join(text for text in (describe(c.item) for c in rule.when) if text)
        if rule.each:
            chosen = [str(o) for o in (answers.get(rule.each) or {}).get("options") or ()]
            for option in chosen:
                with translation.override(settings.LANGUAGE_CODE):  # stored, so in the first language
                    label = str(ServiceKind(option).label)
                key = key_of(rule.kind, option, rule.code)
                openings.setdefault(
                    key,
                    Opening(key, rule.kind, option, f"{rule.title}：{label}", detail, rule.recheck_days),
                )
            continue
        key = key_of(rule.kind, rule.service_kind, rule.code)
        openings.setdefault(key, Opening(key, rule.kind, rule.service_kind, rule.title, detail, rule.recheck_days))
    return list(openings.values())


def cleared(rules: Sequence[Rule], answers: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Keys of the re-checked rules (hazards) whose items were all answered without the rule holding:
    the hazard was looked at and is gone."""
    return [
        key_of(rule.kind, rule.service_kind, rule.code)
        for rule in rules
        if rule.recheck_days
        and rule.when
        and all(answers.get(c.item) for c in rule.when)
        and not all(c.holds(answers) for c in rule.when)
    ]
