"""Synthetic elders for the demo and for benchmarks: plausible, deterministic, never real people.

Names are drawn from common surnames and given names of that generation; ID numbers
pass the GB 11643 check and agree with birth date, sex and the county; ages are 60–100.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from tanfang.core.crypto import FieldCipher
from tanfang.core.id_numbers import Sex, make_citizen_id, mask_id_number, mask_phone
from tanfang.elders.models import ID_NUMBER_CONTEXT, PHONE_CONTEXT, Elder

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
    "name",
    "sex",
    "birth_date",
    "id_number_cipher",
    "id_number_index",
    "id_number_masked",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "address",
    "status",
    "registered_on",
    "region_id",
    "region_path",
    "created_at",
    "updated_at",
)


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
) -> Iterator[tuple[object, ...]]:
    """Yield rows (in the order of _COLUMNS) for `count` synthetic elders.

    Each (birth date, sequence) is used once per county, so every ID number is unique.
    Generators running in parallel each take a `partition` (k, n) and only birth dates
    whose ordinal is k modulo n, so they can never produce the same ID number.
    """
    part, parts = partition
    taken = taken if taken is not None else set()
    moment = dt.datetime.now(dt.UTC)
    status_choices = (
        [Elder.Status.ACTIVE] * 92 + [Elder.Status.AWAY] * 4 + [Elder.Status.HOSPITALISED] * 2 + [Elder.Status.DECEASED]
    )
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
        given = rng.choice(MALE_NAMES if sex == Sex.MALE else FEMALE_NAMES)
        name = rng.choice(SURNAMES) + given
        village = villages[rng.randrange(len(villages))]
        if rng.random() < 0.8:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            phone_cipher: bytes | None = cipher.encrypt(phone, context=PHONE_CONTEXT)
            phone_index, phone_masked = cipher.blind_index(phone, context=PHONE_CONTEXT), mask_phone(phone)
        else:
            phone_cipher, phone_index, phone_masked = None, "", ""
        yield (
            name,
            str(sex),
            birth,
            cipher.encrypt(id_number, context=ID_NUMBER_CONTEXT),
            cipher.blind_index(id_number, context=ID_NUMBER_CONTEXT),
            mask_id_number(id_number),
            phone_cipher,
            phone_index,
            phone_masked,
            f"{_short(village.name)}{rng.randint(1, 12)}组{rng.randint(1, 80)}号",
            str(rng.choice(status_choices)),
            today - dt.timedelta(days=rng.randint(0, 3 * 365)),
            village.code,
            village.path,
            moment,
            moment,
        )


def insert_elder_rows(rows: Iterator[tuple[object, ...]], *, batch: int = 5000) -> int:
    """Insert rows fast: COPY on PostgreSQL, batched INSERTs elsewhere. Returns how many."""
    total = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                raw = cursor.cursor
                columns = ", ".join(_COLUMNS)
                with raw.copy(f"COPY {Elder._meta.db_table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        total += 1
            return total
        chunk: list[Elder] = []
        for row in rows:
            chunk.append(Elder(**dict(zip(_COLUMNS, row, strict=True))))
            if len(chunk) >= batch:
                Elder.objects.bulk_create(chunk)
                total += len(chunk)
                chunk = []
        if chunk:
            Elder.objects.bulk_create(chunk)
            total += len(chunk)
    return total
