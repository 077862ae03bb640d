"""The registry as a visit found it: what sections 1–4 of the printed form show, stored with the record.

A record is printed, and printed again, long after its visit; by then the elder may have moved, a son
may have become the emergency contact, a subsidy may have ended. The archived form must still say what
the registry said that day, so `submit_records` stores a snapshot with each record (`VisitRecord.
registry_snapshot`), taken after the visit's own registry corrections, and `printing` reads it.

What it holds is exactly what the form prints: the county, township and village names, the address,
name, groups, first emergency contact, household, living conditions, benefits and assistance. Numbers
(the elder's phone and disability certificate, the contact's phone, the household's ID numbers) are
kept as the registry keeps them: its SM4-GCM token (base64) beside its mask, never in plain. A masked
print shows the mask; a print in full decrypts the token only after `elders.personal_data.
reveal_for_print` has allowed and audited the job (`numbers_in_full`).

`as_of` says when it was taken: "visit" when the record was stored, "migration" for records stored
before snapshots existed, filled from the registry as it was on the day of records migration 0005.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tanfang.elders.models import (
    CERTIFICATE_CONTEXT,
    CONTACT_PHONE_CONTEXT,
    MEMBER_ID_CONTEXT,
    PHONE_CONTEXT,
    Elder,
)
from tanfang.elders.personal_data import FullNumbers, snapshot_value_for_print
from tanfang.regions.paths import codes_of
from tanfang.regions.selectors import region_names_unscoped

VERSION = 1
AS_OF_VISIT = "visit"
# What `take` reads below the elder: prefetch these when taking many.
RELATED = ("groups", "contacts", "household", "benefits", "assistance")


@dataclass(frozen=True)
class Number:
    """A personal number as the registry stores it: the mask for lists, the token for the audited reveal."""

    masked: str = ""
    cipher: str = ""  # base64 of the registry's SM4-GCM token; "" when there is no number


@dataclass(frozen=True)
class Contact:
    id: int  # the EmergencyContact row then (it may be gone since)
    name: str
    relation: str
    phone: Number


@dataclass(frozen=True)
class Member:
    id: int  # the HouseholdMember row then (it may be gone since)
    name: str
    sex: str
    id_number: Number
    relation_to_head: str
    health: str
    subsistence: str


@dataclass(frozen=True)
class BenefitLine:
    kind: str
    monthly_amount: str


@dataclass(frozen=True)
class Help:
    unit_type: str
    unit_name: str
    responsible_person: str
    measures: str


@dataclass(frozen=True)
class Registry:
    """Sections 1–4 of one form: (1) the elder, (2) the household, (3) living conditions, (4) assistance."""

    county: str
    township: str
    village: str
    address: str
    lives_at_registration: bool | None
    name: str
    phone: Number
    disability_certificate: Number
    disabled: bool  # a grade, a certificate or a type of disability on record
    groups: list[str]  # the groups the elder was in (Group codes), not those that had ended
    contact: Contact | None
    household: list[Member]
    drinking_water_safe: bool | None
    electricity_safe: bool | None
    housing_safe: bool | None
    household_income: str  # "" when unknown
    benefits: list[BenefitLine] = field(default_factory=list)
    assistance: list[Help] = field(default_factory=list)
    version: int = VERSION
    as_of: str = AS_OF_VISIT


def _sealed(token: Any, masked: str) -> Number:
    return Number(masked=masked or "", cipher=base64.b64encode(bytes(token)).decode("ascii") if token else "")


def take(elder: Elder, regions: Mapping[str, str]) -> dict[str, Any]:
    """What sections 1–4 print of this elder now, as JSON-ready data (see `Registry`).

    `regions` names the region codes of the elder's path (`regions.selectors.region_names_unscoped`).
    Reads the elder's groups, contacts, household, benefits and assistance: prefetch RELATED for many.
    """
    names = [regions.get(code, "") for code in codes_of(elder.region_path)]
    county, township, village = [*names, "", "", "", "", ""][2:5]
    contacts = sorted(elder.contacts.all(), key=lambda c: c.position)
    first = contacts[0] if contacts else None
    registry = Registry(
        county=county,
        township=township,
        village=village,
        address=elder.address,
        lives_at_registration=elder.lives_at_registration,
        name=elder.name,
        phone=_sealed(elder.phone_cipher, elder.phone_masked),
        disability_certificate=_sealed(elder.disability_certificate_cipher, elder.disability_certificate_masked),
        disabled=bool(
            elder.disability_grade
            or elder.disability_certificate_cipher
            or elder.disability_certificate_masked
            or elder.disability_type
        ),
        groups=sorted({g.group for g in elder.groups.all() if g.until is None}),
        contact=Contact(
            id=first.pk, name=first.name, relation=first.relation, phone=_sealed(first.phone_cipher, first.phone_masked)
        )
        if first is not None
        else None,
        household=[
            Member(
                id=m.pk,
                name=m.name,
                sex=m.sex,
                id_number=_sealed(m.id_number_cipher, m.id_number_masked),
                relation_to_head=m.relation_to_head,
                health=m.health,
                subsistence=m.subsistence,
            )
            for m in sorted(elder.household.all(), key=lambda m: m.position)
        ],
        drinking_water_safe=elder.drinking_water_safe,
        electricity_safe=elder.electricity_safe,
        housing_safe=elder.housing_safe,
        household_income=f"{elder.household_income}" if elder.household_income is not None else "",
        benefits=[BenefitLine(kind=b.kind, monthly_amount=f"{b.monthly_amount}") for b in elder.benefits.all()],
        assistance=[
            Help(
                unit_type=a.unit_type,
                unit_name=a.unit_name,
                responsible_person=a.responsible_person,
                measures=a.measures,
            )
            for a in elder.assistance.all()
        ],
    )
    return asdict(registry)


def _number(data: Any) -> Number:
    data = data or {}
    return Number(masked=str(data.get("masked", "")), cipher=str(data.get("cipher", "")))


def read(data: Mapping[str, Any]) -> Registry:
    """A stored snapshot (`take`'s output, or records migration 0005's) as a `Registry`."""
    contact = data.get("contact")
    return Registry(
        county=data.get("county", ""),
        township=data.get("township", ""),
        village=data.get("village", ""),
        address=data.get("address", ""),
        lives_at_registration=data.get("lives_at_registration"),
        name=data.get("name", ""),
        phone=_number(data.get("phone")),
        disability_certificate=_number(data.get("disability_certificate")),
        disabled=bool(data.get("disabled")),
        groups=list(data.get("groups", [])),
        contact=Contact(
            id=contact.get("id", 0),
            name=contact.get("name", ""),
            relation=contact.get("relation", ""),
            phone=_number(contact.get("phone")),
        )
        if contact
        else None,
        household=[
            Member(
                id=m.get("id", 0),
                name=m.get("name", ""),
                sex=m.get("sex", ""),
                id_number=_number(m.get("id_number")),
                relation_to_head=m.get("relation_to_head", ""),
                health=m.get("health", ""),
                subsistence=m.get("subsistence", ""),
            )
            for m in data.get("household", [])
        ],
        drinking_water_safe=data.get("drinking_water_safe"),
        electricity_safe=data.get("electricity_safe"),
        housing_safe=data.get("housing_safe"),
        household_income=data.get("household_income", ""),
        benefits=[
            BenefitLine(kind=b.get("kind", ""), monthly_amount=b.get("monthly_amount", ""))
            for b in data.get("benefits", [])
        ],
        assistance=[
            Help(
                unit_type=a.get("unit_type", ""),
                unit_name=a.get("unit_name", ""),
                responsible_person=a.get("responsible_person", ""),
                measures=a.get("measures", ""),
            )
            for a in data.get("assistance", [])
        ],
        version=int(data.get("version", VERSION)),
        as_of=str(data.get("as_of", AS_OF_VISIT)),
    )


def _plain(number: Number, context: str) -> str:
    return snapshot_value_for_print(base64.b64decode(number.cipher), context) if number.cipher else ""


def numbers_in_full(registry: Registry) -> FullNumbers:
    """The snapshot's numbers in full, in the shape `reveal_for_print` gives the live registry's.

    Only for a print job that `elders.personal_data.reveal_for_print` has just allowed and audited for
    this elder (`printing.render` asks for it only for elders in that answer): the numbers printed are
    the ones that job's audit event stands for, as they were on the day of the visit.
    """
    contact = registry.contact
    return FullNumbers(
        phone=_plain(registry.phone, PHONE_CONTEXT),
        disability_certificate=_plain(registry.disability_certificate, CERTIFICATE_CONTEXT),
        contact_phones={contact.id: _plain(contact.phone, CONTACT_PHONE_CONTEXT)} if contact else {},
        member_id_numbers={m.id: _plain(m.id_number, MEMBER_ID_CONTEXT) for m in registry.household},
    )


class RegistrySnapshots:
    """Snapshots for the records of one batch being stored: read for all its elders in a few queries,
    and read again for an elder whose visit has just corrected the registry (so that this record, and
    a later one of the same elder in the batch, carry the registry as that visit left it)."""

    def __init__(self, elder_ids: Iterable[int]) -> None:
        self._taken = self._take(elder_ids)

    @staticmethod
    def _take(elder_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        elders = list(Elder.objects.filter(pk__in=list(elder_ids)).prefetch_related(*RELATED))
        regions = region_names_unscoped(code for e in elders for code in codes_of(e.region_path))
        return {e.pk: take(e, regions) for e in elders}

    def of(self, elder_id: int, *, corrected: bool = False) -> dict[str, Any]:
        """The elder's snapshot; `corrected`: the visit being stored has just changed its registry."""
        if corrected or elder_id not in self._taken:
            self._taken.update(self._take([elder_id]))
        return copy.deepcopy(self._taken[elder_id])  # each record its own: two of one elder share nothing
