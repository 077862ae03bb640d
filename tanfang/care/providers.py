"""The registry of service providers (服务机构) and their government-purchased service contracts
(政府购买服务合同): every write and every scoped read.

A provider serves the subtree of its region. A user sees the providers whose region lies inside its
scope, and those whose region is an ancestor of one of its regions: a county-wide provider serves
every village below, so a township officer or a village worker sees it too. Keeping a provider
(creating, editing, adding contracts and staff accounts) takes Permission.MANAGE_PROVIDERS and the
provider's region inside the keeper's scope; a township officer only reads a county-wide provider.

The contact's phone number is stored encrypted (SM4-GCM, context PHONE_CONTEXT) with its mask; pages,
the API and audit entries show the mask only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tanfang.accounts.models import User
from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event, snapshot
from tanfang.care.models import Provider, ProviderCategory, ProviderContract, ServiceKind
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import mask_phone
from tanfang.core.roles import ADMIN_ROLES, NO_ROLE, Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.elders.inputs import normalize_phone, phone_error
from tanfang.regions.paths import path_prefixes
from tanfang.regions.scoping import get_region_for, require_permission, scope_covers_all

PHONE_CONTEXT = "care.provider_phone"
MAX_AMOUNT = Decimal("9999999999.99")  # what the column holds (12 digits, 2 after the point)
AUDITED_FIELDS = (
    "name",
    "category",
    "kinds",
    "region_path",
    "contact_name",
    "contact_phone_masked",
    "address",
    "active",
)


# --- reads -------------------------------------------------------------------------------------


def may_see_providers(actor: Actor) -> bool:
    """Whether the actor reads the registry at all: a role that reads the elders' registry, or a staff
    account of some provider (which sees its own)."""
    if not actor.is_active:
        return False
    return has_permission(actor.role, Permission.VIEW_ELDERS) or Provider.objects.filter(staff__id=actor.pk).exists()


def providers_visible_to(actor: Actor) -> QuerySet[Provider]:
    """Providers serving somewhere the actor sees (inside its scope, or above one of its regions), and
    those it works for. Nothing for anyone else: fails closed."""
    if not actor.is_active:
        return Provider.objects.none()
    condition = Q(staff__id=actor.pk)
    if has_permission(actor.role, Permission.VIEW_ELDERS):
        scope = scope_of(actor)
        above = {prefix for path in scope.paths for prefix in path_prefixes(path)}
        condition |= scope.q("region_path") | Q(region_path__in=above)
    return Provider.objects.filter(pk__in=Provider.objects.filter(condition).values("pk"))


def get_provider_for(actor: Actor, provider_id: int) -> Provider:
    """A provider the actor sees; NotFound for missing and out-of-sight alike."""
    try:
        return providers_visible_to(actor).select_related("region").get(pk=provider_id)
    except Provider.DoesNotExist:
        raise NotFound() from None


def may_keep(actor: Actor, provider: Provider) -> bool:
    """Whether the actor may change this provider: MANAGE_PROVIDERS, and its region inside the scope."""
    return (
        actor.is_active
        and has_permission(actor.role, Permission.MANAGE_PROVIDERS)
        and scope_of(actor).contains(provider.region_path)
    )


@dataclass(frozen=True)
class ProviderFilters:
    category: str = ""
    kind: str = ""
    q: str = ""
    active_only: bool = False


def provider_list(actor: Actor, filters: ProviderFilters) -> QuerySet[Provider]:
    """The registry as the actor sees it, filtered; nearer regions' providers after wider ones, by name."""
    rows = providers_visible_to(actor).select_related("region")
    if filters.category in ProviderCategory.values:
        rows = rows.filter(category=filters.category)
    if filters.kind in ServiceKind.values:
        # JSON containment is not on SQLite: match the quoted value inside the stored list instead.
        rows = rows.filter(kinds__icontains=f'"{filters.kind}"')
    text = filters.q.replace("\x00", "").strip()[:50]  # PostgreSQL compares no text holding a NUL
    if text:
        rows = rows.filter(name__icontains=text)
    if filters.active_only:
        rows = rows.filter(active=True)
    return rows.order_by("region_path", "name", "pk")


def contract_state(contract: ProviderContract, today: dt.date | None = None) -> str:
    """ "active" (在期), "expired" (已到期) or "upcoming" (未开始) on a day (today in Shanghai by default)."""
    day = today or local_today()
    if contract.ends_on < day:
        return "expired"
    if contract.starts_on > day:
        return "upcoming"
    return "active"


def contract_state_label(state: str) -> str:
    return {"active": _("在期"), "expired": _("已到期"), "upcoming": _("未开始")}[state]


def kind_labels(kinds: list[str]) -> list[str]:
    names = dict(ServiceKind.choices)
    return [str(names[k]) for k in kinds if k in names]


# --- writes ------------------------------------------------------------------------------------


@dataclass
class ProviderInput:
    """A provider as a page or the API sends it. An empty phone on an edit keeps the stored one."""

    name: str
    category: str
    kinds: list[str]
    region_code: str
    contact_name: str
    contact_phone: str = ""
    address: str = ""
    active: bool = True


def _clean_kinds(kinds: list[str], errors: list[FieldError]) -> list[str]:
    chosen = set(kinds)
    unknown = chosen - set(ServiceKind.values)
    if unknown:
        errors.append(FieldError("kinds", _("服务类别“%(value)s”不是有效的选项") % {"value": sorted(unknown)[0]}))
    elif not chosen:
        errors.append(FieldError("kinds", _("请至少选择一项服务类别")))
    return [k for k in ServiceKind.values if k in chosen]


def _check_provider(data: ProviderInput, *, creating: bool) -> tuple[list[FieldError], str]:
    """The errors of a provider's fields, and its phone normalised; fills data's cleaned values."""
    errors: list[FieldError] = []
    # PostgreSQL keeps no NUL in text, and nobody means one: dropped rather than failing the write.
    data.name, data.contact_name, data.address = (
        text.replace("\x00", "") for text in (data.name, data.contact_name, data.address)
    )
    data.name = data.name.strip()
    if not data.name:
        errors.append(FieldError("name", _("请填写机构名称")))
    elif len(data.name) > 100:
        errors.append(FieldError("name", _("机构名称不能超过100个字")))
    if data.category not in ProviderCategory.values:
        errors.append(FieldError("category", _("请选择机构类别")))
    data.kinds = _clean_kinds(list(data.kinds), errors)
    data.contact_name = data.contact_name.strip()
    if not data.contact_name:
        errors.append(FieldError("contact_name", _("请填写联系人")))
    elif len(data.contact_name) > 50:
        errors.append(FieldError("contact_name", _("联系人不能超过50个字")))
    phone = normalize_phone(data.contact_phone)
    if creating and not phone:
        errors.append(FieldError("contact_phone", _("请填写联系电话")))
    elif message := phone_error(phone):
        errors.append(FieldError("contact_phone", message))
    data.address = data.address.strip()
    if len(data.address) > 200:
        errors.append(FieldError("address", _("地址不能超过200个字")))
    return errors, phone


def _region(actor: Actor, code: str, errors: list[FieldError]) -> tuple[str, str] | None:
    try:
        region = get_region_for(actor, code.strip())
    except NotFound:
        errors.append(FieldError("region_code", _("区划代码不存在或不在您的辖区内")))
        return None
    return region.pk, region.path


def _apply(provider: Provider, data: ProviderInput, phone: str, region: tuple[str, str]) -> None:
    provider.name, provider.category, provider.kinds = data.name, data.category, data.kinds
    provider.region_id, provider.region_path = region
    provider.contact_name, provider.address, provider.active = data.contact_name, data.address, data.active
    if phone:
        provider.contact_phone_cipher = field_cipher().encrypt(phone, context=PHONE_CONTEXT)
        provider.contact_phone_masked = mask_phone(phone)


def create_provider(*, actor: Actor, data: ProviderInput) -> Provider:
    """Register a provider serving a region inside the actor's scope; audited (PROVIDER_SAVED).

    PermissionDenied without MANAGE_PROVIDERS; ValidationFailed, in Chinese, naming each wrong field.
    """
    require_permission(actor, Permission.MANAGE_PROVIDERS)
    errors, phone = _check_provider(data, creating=True)
    region = _region(actor, data.region_code, errors)
    if errors or region is None:
        raise ValidationFailed(errors=errors)
    provider = Provider()
    _apply(provider, data, phone, region)
    with transaction.atomic():
        provider.save()
        record_event(
            actor=actor,
            action=Action.PROVIDER_SAVED,
            subject=provider,
            region_path=provider.region_path,
            changes=diff({}, snapshot(provider, AUDITED_FIELDS)),
            details={"created": True},
        )
    return provider


def _kept(actor: Actor, provider_id: int) -> Provider:
    """The provider, locked, when the actor may change it: NotFound out of sight, PermissionDenied when
    it only reads it (a township officer and a county-wide provider)."""
    require_permission(actor, Permission.MANAGE_PROVIDERS)
    seen = get_provider_for(actor, provider_id)
    if not may_keep(actor, seen):
        raise PermissionDenied(_("这家服务机构的服务范围超出您的辖区，只能查看"))
    return Provider.objects.select_for_update().get(pk=seen.pk)


def update_provider(*, actor: Actor, provider_id: int, data: ProviderInput) -> Provider:
    """Change a provider the actor keeps (see `_kept`); its region stays inside the actor's scope. Audited
    with the changed fields (the phone as its mask)."""
    with transaction.atomic():
        provider = _kept(actor, provider_id)
        errors, phone = _check_provider(data, creating=False)
        region = _region(actor, data.region_code, errors)
        if errors or region is None:
            raise ValidationFailed(errors=errors)
        before = snapshot(provider, AUDITED_FIELDS)
        _apply(provider, data, phone, region)
        changes = diff(before, snapshot(provider, AUDITED_FIELDS))
        if phone and "contact_phone_masked" not in changes:
            changes["contact_phone_masked"] = {"old": before["contact_phone_masked"], "new": _("（已更换）")}
        if changes:
            provider.save()
            record_event(
                actor=actor,
                action=Action.PROVIDER_SAVED,
                subject=provider,
                region_path=provider.region_path,
                changes=changes,
            )
    return provider


@dataclass
class ContractInput:
    number: str
    buyer: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    kinds: list[str] = field(default_factory=list)
    amount: str = ""  # yuan, as typed; empty when not disclosed


def _amount(text: str, errors: list[FieldError]) -> Decimal | None:
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(FieldError("amount", _("金额应为数字（元）")))
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        errors.append(FieldError("amount", _("金额应在0至9999999999.99元之间")))
        return None
    if value != value.quantize(Decimal("0.01")):
        errors.append(FieldError("amount", _("金额最多保留两位小数")))
        return None
    return value


def add_contract(*, actor: Actor, provider_id: int, data: ContractInput) -> ProviderContract:
    """Record a government-purchased service contract of a provider the actor keeps; audited
    (PROVIDER_CONTRACT_SAVED). The period must not end before it starts; the kinds must be kinds the
    provider offers."""
    errors: list[FieldError] = []
    number, buyer = data.number.replace("\x00", "").strip(), data.buyer.replace("\x00", "").strip()
    if not number:
        errors.append(FieldError("number", _("请填写合同编号")))
    elif len(number) > 60:
        errors.append(FieldError("number", _("合同编号不能超过60个字")))
    if not buyer:
        errors.append(FieldError("buyer", _("请填写购买方")))
    elif len(buyer) > 100:
        errors.append(FieldError("buyer", _("购买方不能超过100个字")))
    if data.starts_on is None:
        errors.append(FieldError("starts_on", _("请填写开始日期")))
    if data.ends_on is None:
        errors.append(FieldError("ends_on", _("请填写结束日期")))
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors.append(FieldError("ends_on", _("结束日期不能早于开始日期")))
    kinds = _clean_kinds(list(data.kinds), errors)
    amount = _amount(data.amount, errors)
    with transaction.atomic():
        provider = _kept(actor, provider_id)
        offered = set(provider.kinds)
        if kinds and not set(kinds) <= offered:
            errors.append(FieldError("kinds", _("合同的服务类别须是该机构提供的服务类别")))
        if ProviderContract.objects.filter(provider=provider, number=number).exists():
            errors.append(FieldError("number", _("该机构已有这个编号的合同")))
        if errors:
            raise ValidationFailed(errors=errors)
        assert data.starts_on is not None and data.ends_on is not None
        contract = ProviderContract.objects.create(
            provider=provider,
            number=number,
            buyer=buyer,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            kinds=kinds,
            amount=amount,
        )
        record_event(
            actor=actor,
            action=Action.PROVIDER_CONTRACT_SAVED,
            subject=provider,
            region_path=provider.region_path,
            details={
                "contract": contract.pk,
                "number": number,
                "buyer": buyer,
                "period": [data.starts_on.isoformat(), data.ends_on.isoformat()],
                "kinds": kinds,
                "amount": str(amount) if amount is not None else None,
            },
        )
    return contract


def _may_work_for_providers(user: User) -> bool:
    """Staff accounts must have a role that is not an administrator's: the three administrators read no
    elders' data, and an account nobody has given a role sees nothing."""
    return user.is_active and user.role != NO_ROLE and user.role not in ADMIN_ROLES


def add_staff(*, actor: Actor, provider_id: int, username: str) -> User:
    """Link a user account to a provider the actor keeps: it then sees and works on the provider's
    follow-ups and records care services for them. The account's regions must lie inside the actor's
    scope (an account elsewhere looks missing). Idempotent; audited (PROVIDER_SAVED)."""
    name = username.strip()
    with transaction.atomic():
        provider = _kept(actor, provider_id)
        user = User.objects.filter(username=name).first() if name else None
        if user is None or not scope_covers_all(scope_of(actor), list(user.region_paths())):
            raise ValidationFailed(errors=[FieldError("username", _("没有找到该用户名，或该账号不在您的辖区内"))])
        if not _may_work_for_providers(user):
            raise ValidationFailed(
                errors=[FieldError("username", _("该账号已停用、尚未授权或是管理员账号，不能作为机构人员"))]
            )
        if provider.staff.filter(pk=user.pk).exists():
            return user
        provider.staff.add(user)
        record_event(
            actor=actor,
            action=Action.PROVIDER_SAVED,
            subject=provider,
            region_path=provider.region_path,
            details={"staff_added": user.username},
        )
    return user


def remove_staff(*, actor: Actor, provider_id: int, user_id: int) -> None:
    """Unlink a staff account from a provider the actor keeps; idempotent; audited (PROVIDER_SAVED)."""
    with transaction.atomic():
        provider = _kept(actor, provider_id)
        user = provider.staff.filter(pk=user_id).first()
        if user is None:
            return
        provider.staff.remove(user)
        record_event(
            actor=actor,
            action=Action.PROVIDER_SAVED,
            subject=provider,
            region_path=provider.region_path,
            details={"staff_removed": user.username},
        )
