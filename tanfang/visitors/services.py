"""Writes for visitors and pairings. Each runs in one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event
from tanfang.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from tanfang.core.roles import Permission, RegionLevel
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import Elder
from tanfang.elders.personal_data import CALL_REASON, reveal
from tanfang.elders.selectors import get_elder_for
from tanfang.notifications.services import notify_user, queue, sending_channel
from tanfang.regions.models import Region
from tanfang.regions.paths import code_at
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.visitors.contact import phone_of, store_phone
from tanfang.visitors.models import ENDED_STATUSES, Pairing, Visitor, VisitorKind
from tanfang.visitors.selectors import get_visitor_for, is_paired

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


@dataclass
class VisitorInput:
    name: str
    kind: str
    region_code: str
    served_codes: list[str] = field(default_factory=list)
    organisation: str = ""
    phone: str = ""  # on a change, "" keeps the number there is
    capacity: int = 20
    active: bool = True


def _region_in_scope(actor: Actor, code: str, field_name: str, levels: tuple[int, ...]) -> Region:
    try:
        region = get_region_for(actor, code)
    except NotFound:
        raise ValidationFailed(
            errors=[FieldError(field_name, _("区划代码 %(code)s 不存在或不在您的辖区内") % {"code": code})]
        ) from None
    if region.level not in levels:
        raise ValidationFailed(errors=[FieldError(field_name, _("应为乡镇（街道）或村（社区）"))])
    return region


def _check(actor: Actor, data: VisitorInput) -> tuple[Region, list[Region]]:
    errors = []
    data.name = data.name.strip()
    data.phone = re.sub(r"[\s-]", "", data.phone or "")
    if not data.name:
        errors.append(FieldError("name", _("请填写姓名")))
    if data.kind not in VisitorKind.values:
        errors.append(FieldError("kind", _("类别不是有效的选项")))
    if data.phone and not _PHONE.match(data.phone):
        errors.append(FieldError("phone", _("电话号码格式不正确")))
    if not 1 <= data.capacity <= 500:
        errors.append(FieldError("capacity", _("最多结对人数应在1到500之间")))
    if errors:
        raise ValidationFailed(errors=errors)
    levels = (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
    home = _region_in_scope(actor, data.region_code, "region_code", levels)
    served = [_region_in_scope(actor, code, "served_codes", levels) for code in dict.fromkeys(data.served_codes)]
    return home, served or [home]


_FIELDS = ("name", "kind", "organisation", "phone_masked", "capacity", "active", "region_id")


def create_visitor(*, actor: Actor, data: VisitorInput) -> Visitor:
    require_permission(actor, Permission.MANAGE_VISITORS)
    home, served = _check(actor, data)
    with transaction.atomic():
        visitor = Visitor.objects.create(
            name=data.name,
            kind=data.kind,
            organisation=data.organisation.strip(),
            capacity=data.capacity,
            active=data.active,
            region=home,
            region_path=home.path,
        )
        if data.phone:
            store_phone(visitor, data.phone)
            visitor.save(update_fields=["phone_cipher", "phone_masked"])
        visitor.served.set(served)
        record_event(
            actor=actor,
            action=Action.VISITOR_CREATED,
            subject=visitor,
            changes=diff({}, {**{f: getattr(visitor, f) for f in _FIELDS}, "served": [r.code for r in served]}),
        )
    return visitor


def update_visitor(*, actor: Actor, visitor: Visitor, data: VisitorInput) -> Visitor:
    require_permission(actor, Permission.MANAGE_VISITORS)
    if not scope_of(actor).contains(visitor.region_path):
        raise NotFound()
    home, served = _check(actor, data)
    if not data.active and open_pairings(visitor).exists():
        raise ValidationFailed(errors=[FieldError("active", _("该人员还有结对老人，请先移交再停用"))])
    with transaction.atomic():
        before = {
            **{f: getattr(visitor, f) for f in _FIELDS},
            "served": sorted(visitor.served.values_list("code", flat=True)),
        }
        visitor.name, visitor.kind, visitor.organisation = data.name, data.kind, data.organisation.strip()
        store_phone(visitor, data.phone)  # "" keeps the number there is: pages never show it in full
        visitor.capacity, visitor.active = data.capacity, data.active
        visitor.region, visitor.region_path = home, home.path
        visitor.save()
        visitor.served.set(served)
        after = {**{f: getattr(visitor, f) for f in _FIELDS}, "served": sorted(r.code for r in served)}
        changes = diff(before, after)
        if changes:
            record_event(actor=actor, action=Action.VISITOR_UPDATED, subject=visitor, changes=changes)
    return visitor


def open_pairings(visitor: Visitor) -> QuerySet[Pairing]:
    return Pairing.objects.filter(visitor=visitor, ended_on__isnull=True)


def primary_load(visitor: Visitor) -> int:
    return visitor.pairings.filter(ended_on__isnull=True, role=Pairing.Role.PRIMARY).count()


@dataclass(frozen=True)
class Suggestion:
    visitor: Visitor
    load: int
    same_village: bool

    @property
    def room(self) -> int:
        return self.visitor.capacity - self.load


def suggest_visitors(actor: Actor, elder: Elder, *, limit: int = 5, exclude: int | None = None) -> list[Suggestion]:
    """Active visitors in scope who serve the elder's village or township and have room.

    Those serving the village itself come first, then the lowest load; nobody over capacity.
    """
    scope = scope_of(actor)
    township_code = code_at(elder.region_path, RegionLevel.TOWNSHIP)
    candidates = (
        Visitor.objects.filter(scope.q("region_path"), active=True)
        .filter(Q(served__code=elder.region_id) | Q(served__code=township_code))
        .annotate(
            load=Count("pairings", filter=Q(pairings__ended_on__isnull=True, pairings__role="primary"), distinct=True),
            in_village=Count("served", filter=Q(served__code=elder.region_id), distinct=True),
        )
        .distinct()
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    suggestions = [
        Suggestion(visitor=v, load=v.load, same_village=bool(v.in_village)) for v in candidates if v.load < v.capacity
    ]
    suggestions.sort(key=lambda s: (not s.same_village, s.load, s.visitor.pk))
    return suggestions[:limit]


def _elder_in_scope(actor: Actor, elder: Elder) -> None:
    if not scope_of(actor).contains(elder.region_path) or elder.merged_into_id:
        raise NotFound()


def pair(
    *, actor: Actor, elder: Elder, visitor: Visitor, role: str = Pairing.Role.PRIMARY, on: dt.date | None = None
) -> Pairing:
    """Pair an elder with a visitor. A new primary replaces the old one, whose pairing ends (history kept)."""
    require_permission(actor, Permission.EDIT_ELDERS)
    _elder_in_scope(actor, elder)
    if not scope_of(actor).contains(visitor.region_path):
        raise NotFound()
    if role not in Pairing.Role.values:
        raise ValidationFailed(errors=[FieldError("role", _("角色不是有效的选项"))])
    if not visitor.active:
        raise ValidationFailed(errors=[FieldError("visitor", _("该人员已停用"))])
    if elder.status in ENDED_STATUSES:
        raise ValidationFailed(errors=[FieldError("elder", _("该老人已迁出或已故，不再结对"))])
    day = on or local_today()
    with transaction.atomic():
        locked = Visitor.objects.select_for_update().get(pk=visitor.pk)
        if role == Pairing.Role.PRIMARY and primary_load(locked) >= locked.capacity:
            raise ValidationFailed(
                errors=[
                    FieldError(
                        "visitor", _("%(name)s 已结对 %(n)d 人，达到上限") % {"name": locked.name, "n": locked.capacity}
                    )
                ]
            )
        current = Pairing.objects.filter(elder=elder, ended_on__isnull=True)
        if current.filter(visitor=locked).exists():
            same = current.get(visitor=locked)
            if same.role == role:
                return same
            _end(actor, same, day, _("改为%(role)s") % {"role": Pairing.Role(role).label})
        if role == Pairing.Role.PRIMARY:
            for old in current.filter(role=Pairing.Role.PRIMARY).exclude(visitor=locked):
                _end(actor, old, day, _("更换主要探访人"))
        try:
            pairing = Pairing.objects.create(
                elder=elder,
                visitor=locked,
                role=role,
                started_on=day,
                region=elder.region,
                region_path=elder.region_path,
            )
        except IntegrityError:
            raise Conflict(_("结对已被他人修改，请刷新后重试")) from None
        queue_due_refresh(elder_ids=[elder.pk])
        record_event(
            actor=actor,
            action=Action.PAIRING_STARTED,
            subject=elder,
            changes={"visitor": {"old": None, "new": str(locked)}, "role": {"old": None, "new": role}},
            details={"pairing": pairing.pk},
        )
    return pairing


def _end(actor: Actor, pairing: Pairing, day: dt.date, reason: str) -> None:
    pairing.ended_on = day
    pairing.end_reason = reason[:100]
    pairing.save(update_fields=["ended_on", "end_reason"])
    queue_due_refresh(elder_ids=[pairing.elder_id])
    record_event(
        actor=actor,
        action=Action.PAIRING_ENDED,
        subject=pairing.elder,
        changes={"visitor": {"old": str(pairing.visitor), "new": None}},
        details={"pairing": pairing.pk, "reason": reason[:100]},
    )


def end_pairing(*, actor: Actor, pairing: Pairing, reason: str) -> None:
    require_permission(actor, Permission.EDIT_ELDERS)
    if not scope_of(actor).contains(pairing.region_path):
        raise NotFound()
    if pairing.ended_on is not None:
        return
    with transaction.atomic():
        _end(actor, pairing, local_today(), reason or _("结束结对"))


@dataclass
class BulkResult:
    paired: list[tuple[Elder, Visitor]] = field(default_factory=list)
    left: list[Elder] = field(default_factory=list)


def _unpaired_in(actor: Actor, region: Region) -> list[Elder]:
    has_primary = Pairing.objects.filter(elder=OuterRef("pk"), ended_on__isnull=True, role=Pairing.Role.PRIMARY)
    return list(
        Elder.objects.filter(
            scope_of(actor).q("region_path"), region_path__startswith=region.path, merged_into__isnull=True
        )
        .exclude(status__in=ENDED_STATUSES)
        .exclude(Exists(has_primary))
        .order_by("region_path", "id")
    )


def bulk_pair_village(*, actor: Actor, village_code: str) -> BulkResult:
    """Give every unpaired elder of a village a primary visitor: same village first, then the lowest load."""
    require_permission(actor, Permission.EDIT_ELDERS)
    village = get_region_for(actor, village_code)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    result = BulkResult()
    with transaction.atomic():
        for elder in _unpaired_in(actor, village):
            choices = suggest_visitors(actor, elder, limit=1)
            if not choices:
                result.left.append(elder)
                continue
            pair(actor=actor, elder=elder, visitor=choices[0].visitor)
            result.paired.append((elder, choices[0].visitor))
    return result


def hand_over(*, actor: Actor, leaving: Visitor, to: Visitor | None = None) -> list[Pairing]:
    """Move every open pairing of a leaving visitor to others, then mark them inactive.

    With `to`, everything goes to that visitor (within their capacity); otherwise each elder goes
    to the best suggestion. All or nothing: if anyone would be left unpaired, nothing changes.
    """
    require_permission(actor, Permission.MANAGE_VISITORS)
    if not scope_of(actor).contains(leaving.region_path):
        raise NotFound()
    if to is not None and (not scope_of(actor).contains(to.region_path)):
        raise NotFound()
    if to is not None and to.pk == leaving.pk:
        raise ValidationFailed(errors=[FieldError("to", _("不能移交给本人"))])
    today = local_today()
    created: list[Pairing] = []
    with transaction.atomic():
        pairings = list(
            open_pairings(leaving).select_related("elder", "visitor").order_by("elder__region_path", "elder_id")
        )
        stranded = []
        for old in pairings:
            target = to
            if target is None:
                choices = suggest_visitors(actor, old.elder, limit=1, exclude=leaving.pk)
                target = choices[0].visitor if choices else None
            if target is None:
                stranded.append(old.elder)
                continue
            _end(actor, old, today, _("原探访人离岗，移交"))
            try:
                created.append(pair(actor=actor, elder=old.elder, visitor=target, role=old.role, on=today))
            except ValidationFailed:
                stranded.append(old.elder)
        if stranded:  # raising inside the transaction undoes every pairing moved above
            names = "、".join(e.name for e in stranded[:10])
            raise ValidationFailed(
                errors=[
                    FieldError(
                        "to",
                        _("有 %(n)d 位老人找不到可接手的探访人（%(names)s），未作任何移交；请先增加探访人员或提高上限")
                        % {"n": len(stranded), "names": names},
                    )
                ]
            )
        leaving.active = False
        leaving.save(update_fields=["active"])
        record_event(
            actor=actor,
            action=Action.VISITOR_HANDED_OVER,
            subject=leaving,
            changes={"active": {"old": True, "new": False}},
            details={"elders": len(created), "to": to.pk if to else None},
        )
    return created


def number_to_call(*, actor: Actor, elder_id: int, to: str = "elder") -> str:
    """The number for a one-tap call to an elder (or, `to="contact"`, its first emergency contact), audited.

    The elder's paired visitor calls without typing a reason; an officer who may reveal numbers in its
    scope may call too. The audit event's reason is "一键拨号". NotFound for anyone else; "" when no
    number is stored.
    """
    elder = Elder.objects.filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None:
        raise NotFound()
    field = "contact_phone" if to == "contact" else "phone"
    return reveal(actor=actor, elder=elder, field=field, reason=CALL_REASON, paired=is_paired(actor, elder.pk))


VISITOR_CALL_REASON = "联系探访人员"


def visitor_number_to_call(*, actor: Actor, visitor_id: int) -> str:
    """A visitor's number for a one-tap call by an officer or village worker who sees the visitor; audited.

    NotFound outside the actor's sight; "" when no number is stored.
    """
    visitor = get_visitor_for(actor, visitor_id)
    number = phone_of(visitor)
    if number:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=Action.PERSONAL_DATA_REVEALED,
                subject=visitor,
                details={"field": "phone", "reason": VISITOR_CALL_REASON},
            )
    return number


def chase_visitor(*, actor: Actor, elder_id: int) -> Visitor:
    """催办: remind the elder's primary visitor, in its inbox and by SMS, to visit; once a day per elder; audited.

    NotFound outside the actor's scope; ValidationFailed when nobody is paired with the elder.
    """
    require_permission(actor, Permission.CHASE)
    elder = get_elder_for(actor, elder_id)
    pairing = (
        Pairing.objects.filter(elder=elder, ended_on__isnull=True, role=Pairing.Role.PRIMARY)
        .select_related("visitor")
        .first()
    )
    if pairing is None:
        raise ValidationFailed(errors=[FieldError("elder", _("这位老人还没有结对的探访人员，请先结对"))])
    visitor = pairing.visitor
    day = local_today().isoformat()
    body = _("【探访关爱】%(visitor)s，%(name)s（%(village)s）本月尚未探访，请尽快安排。——%(actor)s") % {
        "visitor": visitor.name,
        "name": elder.name,
        "village": elder.region.name,
        "actor": getattr(actor, "display_name", "") or actor.username,
    }
    key = f"chase:{elder.pk}:{visitor.pk}:{day}"
    with transaction.atomic():
        number = phone_of(visitor)
        if visitor.user_id:  # a visitor who logs in is told by the channels it chose, after its quiet hours
            result = notify_user(
                key=key,
                user_id=visitor.user_id,
                phone=number,
                label=visitor.name,
                body=body,
                link=reverse("schedule:worklist"),
                region_path=visitor.region_path,
            )
            by_inbox, by_sms = result.inbox, result.sms
        else:
            by_inbox = False
            by_sms = bool(number) and queue(
                key=key,
                recipient=number,
                label=visitor.name,
                region_path=visitor.region_path,
                body=body,
                via=sending_channel(),
            )
        told = by_inbox or by_sms
        if told:
            record_event(
                actor=actor,
                action=Action.VISITOR_CHASED,
                subject=elder,
                details={"visitor": visitor.pk, "inbox": by_inbox, "sms": by_sms},
            )
    return visitor
