"""Synthetic elders for the demo and for benchmarks: plausible, deterministic, never real people.

Names are drawn from common surnames and given names of that generation; ID numbers
pass the GB 11643 check and agree with birth date, sex and the county; ages are 60–100.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models, transaction

from tanfang.core.bulk import copy_rows, reserve_ids
from tanfang.core.crypto import FieldCipher
from tanfang.core.id_numbers import Sex, make_citizen_id, mask_id_number, mask_phone
from tanfang.elders.models import (
    CERTIFICATE_CONTEXT,
    CONTACT_PHONE_CONTEXT,
    ID_NUMBER_CONTEXT,
    PHONE_CONTEXT,
    AbilityLevel,
    Assistance,
    Benefit,
    BenefitKind,
    DisabilityType,
    Elder,
    ElderGroup,
    EmergencyContact,
    Group,
    GroupSource,
    HelpingUnit,
    HouseholdMember,
    RiskLevel,
    Status,
    StatusChange,
    Subsistence,
    Supporter,
    VisitMethod,
    Willingness,
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺"
)
MALE_NAMES = (
    "建国 国华 德胜 振华 文明 长林 金山 福生 保国 永福 玉林 志明 学文 新民 春生 进财 桂林 春来 守仁 明德 "
    "国庆 建设 卫东 德才 忠义 富贵 长庚 志强 家祥 树林 广田 连生 秋生 满仓 庆丰 铁柱 双喜 来顺 宝山 永昌"
).split()
FEMALE_NAMES = (
    "秀英 桂兰 玉兰 秀兰 凤英 淑珍 桂英 玉梅 兰英 玉珍 翠花 素芳 秀珍 桂芝 凤兰 玉英 淑华 金凤 春梅 秀云 "
    "桂香 美兰 爱华 月娥 巧云 彩霞 玉凤 冬梅 素琴 香兰"
).split()
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "155", "158", "176", "186")

_COLUMNS = (
    "id",
    "name",
    "sex",
    "birth_date",
    "id_number_cipher",
    "id_number_index",
    "id_number_masked",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "phone2_cipher",
    "phone2_index",
    "phone2_masked",
    "address",
    "lives_at_registration",
    "registered_region_id",
    "registered_address",
    "disability_certificate_cipher",
    "disability_certificate_masked",
    "disability_grade",
    "disability_type",
    "ability_score",
    "ability_level",
    "ability_assessed_on",
    "subsistence",
    "drinking_water_safe",
    "electricity_safe",
    "housing_safe",
    "household_income",
    "willingness",
    "willingness_on",
    "willingness_recorded_by",
    "preferred_visit_method",
    "risk_level",
    "status",
    "status_since",
    "note",
    "merged_into_id",
    "registered_on",
    "region_id",
    "region_path",
    "created_at",
    "updated_at",
)
# Child tables, each row starting with the elder's id.
_CHILD_COLUMNS = {
    ElderGroup: ("elder_id", "group", "source", "since", "until", "import_batch_id", "import_line"),
    EmergencyContact: ("elder_id", "position", "name", "relation", "phone_cipher", "phone_masked"),
    Supporter: ("elder_id", "name", "relation", "phone_cipher", "phone_masked", "lives_in"),
    HouseholdMember: (
        "elder_id",
        "position",
        "name",
        "sex",
        "id_number_cipher",
        "id_number_masked",
        "relation_to_head",
        "health",
        "subsistence",
    ),
    Benefit: ("elder_id", "kind", "monthly_amount"),
    Assistance: ("elder_id", "unit_type", "unit_name", "responsible_person", "measures"),
    StatusChange: ("elder_id", "status", "since", "note", "recorded_by_id", "recorded_at"),
}


ELDER_CHILD_MODELS = tuple(_CHILD_COLUMNS)


@dataclass
class ElderRows:
    """One synthetic elder: its row (id filled in when inserted) and its child rows."""

    row: list[object]
    children: dict[type[models.Model], list[tuple[object, ...]]]


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    path: str


def _short(village_name: str) -> str:
    for suffix in ("村民委员会", "社区居民委员会", "居民委员会", "村委会"):
        if village_name.endswith(suffix):
            return village_name[: -len(suffix)] + ("村" if suffix.startswith("村") else "社区")
    return village_name


def generate_elders(
    rng: random.Random,
    villages: Sequence[Village],
    count: int,
    *,
    today: dt.date,
    cipher: FieldCipher,
    county_code: str,
    taken: set[tuple[dt.date, int]] | None = None,
    partition: tuple[int, int] = (0, 1),
    home: Village | None = None,
) -> Iterator[ElderRows]:
    """Yield rows (in the order of _COLUMNS, with their child rows) for `count` synthetic elders.

    Each elder lives in a village drawn from `villages`, or in `home` when given. Each (birth
    date, sequence) is used once per `taken` set, so every ID number is unique: generators that
    add to the same county share one. Generators running in parallel each take a `partition`
    (k, n) and only birth dates whose ordinal is k modulo n, so they can never produce the same
    ID number.
    """
    part, parts = partition
    taken = taken if taken is not None else set()
    moment = dt.datetime.now(dt.UTC)
    status_choices = [Status.ACTIVE] * 92 + [Status.AWAY] * 4 + [Status.HOSPITALISED] * 2 + [Status.DECEASED]
    for _ in range(count):
        sex = Sex.MALE if rng.random() < 0.46 else Sex.FEMALE
        while True:
            age_days = rng.randint(60 * 365 + 15, 100 * 365 - 30)
            birth = today - dt.timedelta(days=age_days)
            if birth.toordinal() % parts != part:
                continue
            sequence = rng.randrange(1, 999, 2) if sex == Sex.MALE else rng.randrange(0, 999, 2)
            if (birth, sequence) not in taken:
                taken.add((birth, sequence))
                break
        id_number = make_citizen_id(county_code, birth, sequence)
        yield _elder_rows(rng, villages, cipher, today, moment, sex, birth, id_number, status_choices, home)


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _encrypted_phone(cipher: FieldCipher, phone: str, context: str) -> tuple[bytes, str, str]:
    return cipher.encrypt(phone, context=context), cipher.blind_index(phone, context=context), mask_phone(phone)


def _elder_rows(
    rng: random.Random,
    villages: Sequence[Village],
    cipher: FieldCipher,
    today: dt.date,
    moment: dt.datetime,
    sex: Sex,
    birth: dt.date,
    id_number: str,
    status_choices: list[Status],
    home: Village | None,
) -> ElderRows:
    surname = rng.choice(SURNAMES)
    name = surname + rng.choice(MALE_NAMES if sex == Sex.MALE else FEMALE_NAMES)
    village = home if home is not None else villages[rng.randrange(len(villages))]
    short = _short(village.name)
    age = today.year - birth.year
    empty: tuple[None, str, str] = (None, "", "")
    phone = _encrypted_phone(cipher, _phone(rng), PHONE_CONTEXT) if rng.random() < 0.8 else empty
    phone2 = _encrypted_phone(cipher, _phone(rng), PHONE_CONTEXT) if rng.random() < 0.15 else empty
    registered_on = today - dt.timedelta(days=rng.randint(30, 3 * 365))
    status = rng.choice(status_choices)
    status_since = registered_on if status == Status.ACTIVE else today - dt.timedelta(days=rng.randint(1, 25))

    groups: set[str] = set()
    roll = rng.random()
    if roll < 0.30:
        groups.add(Group.LIVING_ALONE)
    elif roll < 0.62:
        groups.add(Group.EMPTY_NEST)
    if rng.random() < 0.25:
        groups.add(Group.LEFT_BEHIND)
    disabled = rng.random() < (0.12 if age < 80 else 0.3)
    if disabled:
        groups.add(Group.DISABLED)
    handicapped = rng.random() < 0.08
    if handicapped:
        groups.add(Group.SEVERELY_HANDICAPPED)
    if rng.random() < 0.04:
        groups.add(Group.SPECIAL_FAMILY)
    if not groups:
        groups.add(Group.EMPTY_NEST)

    certificate: tuple[bytes | None, str] = (None, "")
    grade: int | None = None
    kind = ""
    if handicapped or rng.random() < 0.05:
        grade = rng.choice((1, 2)) if handicapped else rng.choice((3, 4))
        kind_index = rng.randrange(7)
        kind = _DISABILITY_TYPES[kind_index]
        number = f"{id_number}{kind_index + 1}{grade}"
        certificate = (cipher.encrypt(number, context=CERTIFICATE_CONTEXT), mask_id_number(number))
    score: int | None = None
    level = ""
    assessed: dt.date | None = None
    if disabled or rng.random() < 0.3:
        score = rng.randint(5, 64) if disabled else rng.randint(65, 90)
        level = _ability_level(score)
        assessed = today - dt.timedelta(days=rng.randint(10, 700))
    subsistence = rng.choices(_SUBSISTENCE, weights=(70, 18, 7, 5))[0]
    willing = rng.random() < 0.97
    row: list[object] = [
        None,  # id, assigned on insert
        name,
        str(sex),
        birth,
        cipher.encrypt(id_number, context=ID_NUMBER_CONTEXT),
        cipher.blind_index(id_number, context=ID_NUMBER_CONTEXT),
        mask_id_number(id_number),
        *phone,
        *phone2,
        f"{short}{rng.randint(1, 12)}组{rng.randint(1, 80)}号",
        rng.random() < 0.9,
        None,
        "",
        *certificate,
        grade,
        kind,
        score,
        level,
        assessed,
        subsistence,
        rng.random() < 0.95,
        rng.random() < 0.93,
        rng.random() < 0.9,
        Decimal(rng.randrange(300, 4000, 50)),
        Willingness.WILLING if willing else Willingness.UNWILLING,
        registered_on,
        "村委会",
        rng.choice(_VISIT_METHODS),
        RiskLevel.HIGH if (disabled and age >= 85) or rng.random() < 0.03 else RiskLevel.NORMAL,
        status,
        status_since,
        "",
        None,
        registered_on,
        village.code,
        village.path,
        moment,
        moment,
    ]
    if not row[_LIVES_AT_REGISTRATION]:
        row[_REGISTERED_ADDRESS] = f"{short}{rng.randint(1, 12)}组"
        row[_LIVES_AT_REGISTRATION] = False
        row[_LIVES_AT_REGISTRATION + 1] = rng.choice(villages).code

    children: dict[type[models.Model], list[tuple[object, ...]]] = {m: [] for m in _CHILD_COLUMNS}
    for group in sorted(groups):
        source = _GROUP_SOURCES.get(group, GroupSource.VILLAGE_SURVEY)
        children[ElderGroup].append((group, source, registered_on, None, None, None))
    child_name = surname + rng.choice(MALE_NAMES + FEMALE_NAMES)
    contact_phone = _phone(rng)
    children[EmergencyContact].append(
        (
            1,
            child_name,
            rng.choice(("儿子", "女儿", "侄子")),
            cipher.encrypt(contact_phone, context=CONTACT_PHONE_CONTEXT),
            mask_phone(contact_phone),
        )
    )
    if rng.random() < 0.4:
        neighbour = rng.choice(SURNAMES) + rng.choice(MALE_NAMES + FEMALE_NAMES)
        children[EmergencyContact].append((2, neighbour, "邻居", None, ""))
    children[Supporter].append(
        (child_name, "子女", None, "", rng.choice(("郑州市", "焦作市区", "广东省东莞市", "本村")))
    )
    children[HouseholdMember].append((1, name, str(sex), None, mask_id_number(id_number), "户主", "一般", subsistence))
    if Group.LIVING_ALONE not in groups and rng.random() < 0.6:
        spouse_sex = Sex.FEMALE if sex == Sex.MALE else Sex.MALE
        spouse = rng.choice(SURNAMES) + rng.choice(FEMALE_NAMES if spouse_sex == Sex.FEMALE else MALE_NAMES)
        children[HouseholdMember].append((2, spouse, str(spouse_sex), None, "", "配偶", "慢性病", subsistence))
    children[Benefit].append((BenefitKind.PENSION, Decimal(rng.choice((143, 165, 180, 220, 2600)))))
    if age >= 80:
        children[Benefit].append((BenefitKind.OLD_AGE, Decimal(rng.choice((50, 100, 200)))))
    if subsistence == Subsistence.MINIMUM:
        children[Benefit].append((BenefitKind.MINIMUM_SUBSISTENCE, Decimal(rng.choice((380, 420, 460)))))
    if rng.random() < 0.25:
        children[Assistance].append(
            (HelpingUnit.GRASSROOTS, f"{short}村（居）民委员会", "村支书", "定期电话问候、代购生活用品")
        )
    children[StatusChange].append((Status.ACTIVE, registered_on, "", None, moment))
    if status != Status.ACTIVE:
        children[StatusChange].append((status, status_since, "", None, moment))
    return ElderRows(row=row, children=children)


_DISABILITY_TYPES = [t for t in DisabilityType.values if t]
_SUBSISTENCE = list(Subsistence.values)
_VISIT_METHODS = [VisitMethod.HOME, VisitMethod.PHONE, VisitMethod.VIDEO]
_LIVES_AT_REGISTRATION = _COLUMNS.index("lives_at_registration")
_REGISTERED_ADDRESS = _COLUMNS.index("registered_address")
_GROUP_SOURCES: dict[str, str] = {
    Group.SPECIAL_FAMILY: GroupSource.HEALTH_COMMISSION,
    Group.SEVERELY_HANDICAPPED: GroupSource.DISABLED_FEDERATION,
    Group.DISABLED: GroupSource.ASSESSMENT,
}


def _ability_level(score: int) -> str:
    """GB 42195-2023 bands: 90 intact, 66–89 mild, 46–65 moderate, 30–45 severe, below 30 total."""
    if score >= 90:
        return AbilityLevel.INTACT
    if score >= 66:
        return AbilityLevel.MILD
    if score >= 46:
        return AbilityLevel.MODERATE
    if score >= 30:
        return AbilityLevel.SEVERE
    return AbilityLevel.TOTAL


def _flush(chunk: list[ElderRows]) -> None:
    if connection.vendor == "postgresql":
        for elder, pk in zip(chunk, reserve_ids(Elder, len(chunk)), strict=True):
            elder.row[0] = pk
        copy_rows(Elder, _COLUMNS, (e.row for e in chunk))
        for model, columns in _CHILD_COLUMNS.items():
            copy_rows(model, columns, ((e.row[0], *c) for e in chunk for c in e.children[model]))
        return
    created = Elder.objects.bulk_create(Elder(**dict(zip(_COLUMNS[1:], e.row[1:], strict=True))) for e in chunk)
    for elder, instance in zip(chunk, created, strict=True):
        elder.row[0] = instance.pk
    for model, columns in _CHILD_COLUMNS.items():
        model.objects.bulk_create(  # type: ignore[attr-defined]
            model(**dict(zip(columns, (e.row[0], *c), strict=True))) for e in chunk for c in e.children[model]
        )


def insert_elder_rows(rows: Iterator[ElderRows], *, batch: int = 5000) -> int:
    """Insert elders and their child rows fast: COPY on PostgreSQL, batched INSERTs elsewhere."""
    total = 0
    with transaction.atomic():
        chunk: list[ElderRows] = []
        for elder in rows:
            chunk.append(elder)
            if len(chunk) >= batch:
                _flush(chunk)
                total += len(chunk)
                chunk = []
        if chunk:
            _flush(chunk)
            total += len(chunk)
    return total
