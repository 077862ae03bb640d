"""Personal numbers in full: THE one module that decrypts an elder's ID, phone and certificate numbers.

Two kinds of use, kept apart:

- **Shown to a person** (`reveal`, `reveal_for_print`, and `snapshot_value_for_print` for the numbers
  a visit record's archive snapshot kept, inside a print job `reveal_for_print` allowed): the role
  must carry REVEAL_PERSONAL_DATA inside its scope and state a reason, or be the elder's paired
  visitor making a one-tap call; every use writes a PERSONAL_DATA_REVEALED audit event in the same
  transaction (one per print job, naming its elders and visits). Pages, the API, the printed form and
  the one-tap call all come here.
- **Kept as it is** (`stored_value` and the `*_inputs` builders in services): a number the
  record already holds is decrypted to be validated and encrypted again when another part of the
  record changes. It never leaves the server, so it is not a reveal and is not audited.

An architecture test fails when `.decrypt(` appears anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import (
    CERTIFICATE_CONTEXT,
    CONTACT_PHONE_CONTEXT,
    ID_NUMBER_CONTEXT,
    MEMBER_ID_CONTEXT,
    PHONE_CONTEXT,
    Elder,
)

# The fields a person may ask to see, with where each is stored.
REVEALABLE = {
    "id_number": ("id_number_cipher", ID_NUMBER_CONTEXT),
    "phone": ("phone_cipher", PHONE_CONTEXT),
    "phone2": ("phone2_cipher", PHONE_CONTEXT),
    "disability_certificate": ("disability_certificate_cipher", CERTIFICATE_CONTEXT),
    "contact_phone": ("", CONTACT_PHONE_CONTEXT),  # the first emergency contact with a phone
}
# What a paired visitor may have revealed without the reveal permission: numbers to call, for a call.
CALLABLE = frozenset({"phone", "phone2", "contact_phone"})
CALL_REASON = "一键拨号"


def stored_value(token: Any, context: str) -> str:
    """A stored number in full, for writing the record back unchanged; never show it to anyone."""
    return field_cipher().decrypt(bytes(token), context=context) if token else ""


def snapshot_value_for_print(token: bytes, context: str) -> str:
    """A number kept in a visit record's archive snapshot (records.snapshot), in full, for a print job
    that `reveal_for_print` has just allowed and audited for the snapshot's elder: the same audit event
    stands for the numbers as they were on the day of the visit. Callers check that first."""
    return field_cipher().decrypt(bytes(token), context=context) if token else ""


def _token(elder: Elder, name: str, contact_id: int | None = None) -> Any:
    attribute, _context = REVEALABLE[name]
    if attribute:
        return getattr(elder, attribute)
    contacts = elder.contacts.exclude(phone_cipher=None)
    if contact_id is not None:  # one contact of this elder's, named (an emergency calls each in turn)
        contacts = contacts.filter(pk=contact_id)
    contact = contacts.order_by("position", "id").first()
    return contact.phone_cipher if contact is not None else None


def may_reveal(actor: Actor, elder: Elder) -> bool:
    """Whether the actor's role may see this elder's numbers in full (with a stated reason)."""
    return (
        actor.is_active
        and has_permission(actor.role, Permission.REVEAL_PERSONAL_DATA)
        and scope_of(actor).contains(elder.region_path)
    )


def reveal(
    *, actor: Actor, elder: Elder, field: str, reason: str, paired: bool = False, contact_id: int | None = None
) -> str:
    """Return one personal number in full, audited with the reason.

    Allowed for a role with REVEAL_PERSONAL_DATA whose scope holds the elder, with a reason of at least
    two characters; or, with `paired=True` (the caller asked `visitors.selectors.is_paired`), for a
    number to call with the reason CALL_REASON. Raises NotFound for an elder the actor cannot see (outside
    its scope, or not paired with a visitor), PermissionDenied for a role that may see the elder but not
    its numbers, ValidationFailed for an unknown field or a missing reason. "" when none is stored.
    `contact_id` picks one emergency contact of the elder for "contact_phone" (default: the first).
    """
    calling = paired and field in CALLABLE and reason == CALL_REASON
    if not calling:
        sees = has_permission(actor.role, Permission.VIEW_ELDERS) and scope_of(actor).contains(elder.region_path)
        if not (sees or paired):
            raise NotFound()  # a visitor's unpaired elder looks missing, like one of another county
        if not may_reveal(actor, elder):
            raise PermissionDenied(_("您的角色不能查看完整的个人信息"))
    if field not in REVEALABLE:
        raise ValidationFailed(errors=[FieldError("field", _("该字段不能查看"))])
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(errors=[FieldError("reason", _("请说明查看完整信息的理由"))])
    token = _token(elder, field, contact_id if field == "contact_phone" else None)
    if not token:
        return ""
    value = stored_value(token, REVEALABLE[field][1])
    details: dict[str, Any] = {"field": field, "reason": reason[:200]}
    if field == "contact_phone" and contact_id is not None:
        details["contact"] = contact_id
    with transaction.atomic():
        record_event(actor=actor, action=Action.PERSONAL_DATA_REVEALED, subject=elder, details=details)
    return value


@dataclass(frozen=True)
class FullNumbers:
    """An elder's numbers in full, as the printed record form shows them."""

    phone: str = ""
    phone2: str = ""
    disability_certificate: str = ""
    contact_phones: dict[int, str] = field(default_factory=dict)  # by EmergencyContact id
    member_id_numbers: dict[int, str] = field(default_factory=dict)  # by HouseholdMember id


def reveal_for_print(
    *, actor: Actor | None, elders: Sequence[Elder], reason: str, visits: Sequence[int] = ()
) -> dict[int, FullNumbers]:
    """Every number of these elders' forms in full, for one print job; audited once, like a reveal.

    The job is one PERSONAL_DATA_REVEALED event with the reason the person gave, the elders and the
    visits printed (the subject is the elder when there is one; the region is what the elders share).
    `actor=None` is the command line (an operator with the server's keys). A role that may not reveal,
    or an elder outside the scope, raises PermissionDenied: the caller prints masked copies instead.
    A reason shorter than two characters raises ValidationFailed. The elders come with their contacts
    and household prefetched.
    """
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(errors=[FieldError("reason", _("请说明打印完整信息的理由"))])
    if actor is not None and not all(may_reveal(actor, e) for e in elders):
        raise PermissionDenied(_("您的角色不能查看完整的个人信息"))
    result: dict[int, FullNumbers] = {}
    for elder in elders:
        result[elder.pk] = FullNumbers(
            phone=stored_value(elder.phone_cipher, PHONE_CONTEXT),
            phone2=stored_value(elder.phone2_cipher, PHONE_CONTEXT),
            disability_certificate=stored_value(elder.disability_certificate_cipher, CERTIFICATE_CONTEXT),
            contact_phones={
                c.pk: stored_value(c.phone_cipher, CONTACT_PHONE_CONTEXT)
                for c in elder.contacts.all()
                if c.phone_cipher
            },
            member_id_numbers={
                m.pk: stored_value(m.id_number_cipher, MEMBER_ID_CONTEXT)
                for m in elder.household.all()
                if m.id_number_cipher
            },
        )
    if elders:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=Action.PERSONAL_DATA_REVEALED,
                subject=elders[0] if len(elders) == 1 else None,
                subject_type=Elder._meta.label_lower,
                subject_label=None if len(elders) == 1 else _("%(n)d 位老年人") % {"n": len(elders)},
                region_path=common_path([e.region_path for e in elders]),
                details={
                    "field": "print",
                    "reason": reason[:200],
                    "elders": [e.pk for e in elders][:MAX_LISTED],
                    "elder_count": len(elders),
                    "visits": list(visits)[:MAX_LISTED],
                },
            )
    return result


MAX_LISTED = 500  # ids an audit event lists; the counts say how many there were


def common_path(paths: Sequence[str]) -> str:
    """The deepest region path every one of these lies in ("" for none): where a job's event is seen."""
    if not paths:
        return ""
    shared = paths[0]
    for path in paths[1:]:
        while not path.startswith(shared):
            shared = shared[: shared.rstrip("/").rfind("/") + 1]
    return shared
