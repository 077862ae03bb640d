"""Demo service providers and care services (section 6 of the form).

A provider of each category serving the whole county (elder care, medical, training, social work)
and an elder-care centre of the first township, with government-purchased service contracts — one
for this year, one that expired last year — and a staff account of the elder-care centre. Then care
services with the elders' satisfaction, for elders of the demo village first (the demo visitor's and
village worker's) and others of the county, each a few days after one of the elder's visits, signed
on the screen or sealed. Everything goes through the services, as an officer would record it, and is
safe to run again: providers are found by name and area, care services by a client id derived from
the seed.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass

from PIL import Image, ImageDraw

from tanfang.accounts.models import User
from tanfang.care.care_services import CareServiceInput, providers_serving, record_care_service
from tanfang.care.models import Provider, ProviderContract, Satisfaction
from tanfang.care.providers import ContractInput, ProviderInput, add_contract, add_staff, create_provider
from tanfang.core.roles import Role
from tanfang.core.time import local_today
from tanfang.devtools.factories import DEFAULT_PASSWORD, make_user
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.visits.models import Outcome, Visit

STAFF_USERNAME = "provider"  # the elder-care centre's staff account: its follow-ups, its care services
SERVICES = 40
# (name, category, kinds, contact, phone): the county-wide providers
COUNTY_PROVIDERS = [
    ("颐养居家养老服务中心", "elder_care", ["daily_care", "emotional", "adaptation"], "周敏", "13903910101"),
    ("人民医院家庭医生服务团队", "medical", ["rehabilitation", "rescue"], "李建华", "03917221120"),
    ("养老护理职业培训学校", "training", ["caregiver_training"], "孙丽", "13903910303"),
    ("阳光社会工作服务中心", "social_work", ["emotional", "daily_care"], "陈静", "13903910404"),
]
CONTENTS = {
    "daily_care": ["上门助浴一次，修剪指甲", "代购米面油和常用药品", "打扫卫生、清洗被褥", "助餐送餐上门"],
    "emotional": ["陪同聊天一小时，读报", "电话慰问并联系子女视频通话", "陪同到社区参加重阳节活动"],
    "adaptation": ["卫生间加装扶手和防滑垫", "更换床边夜灯，清理通道杂物"],
    "rehabilitation": ["上门测量血压血糖，指导用药", "康复训练指导（下肢力量）"],
    "rescue": ["检查并试用一键呼叫设备"],
    "caregiver_training": ["为老人子女讲解翻身、防压疮护理"],
}
# Mostly satisfied, as real ratings are; now and then not.
LEVELS = [
    (Satisfaction.VERY_SATISFIED, 40),
    (Satisfaction.SATISFIED, 35),
    (Satisfaction.FAIRLY, 15),
    (Satisfaction.DISSATISFIED, 7),
    (Satisfaction.VERY_DISSATISFIED, 3),
]
REMARKS = ["", "", "", "老人希望下周再来", "子女表示感谢", "需再次上门", "老人对服务时间不太满意"]
SERVERS = ["周敏", "王芳", "刘洋", "张红", "李建华"]


@dataclass(frozen=True)
class CareSeed:
    providers: int
    contracts: int
    services: int


def _signature(rng: random.Random) -> bytes:
    image = Image.new("L", (240, 80), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(12 + i * 24, 40 + rng.randint(-22, 22)) for i in range(9)], fill=0, width=3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _seal() -> bytes:
    """A red round stamp with a star, as an organisation's seal looks from afar."""
    image = Image.new("RGB", (160, 160), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 152, 152), outline=(200, 20, 20), width=6)
    draw.regular_polygon((80, 80, 28), 5, fill=(200, 20, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _officer(county: Region) -> User:
    officer = User.objects.filter(
        role=Role.COUNTY_OFFICER, is_active=True, region_assignments__region__code=county.code
    ).first()
    if officer is None:
        raise RuntimeError(f"区划 {county.code} 没有县级民政干部账号，无法生成关爱服务演示数据")
    return officer


def _provider(
    officer: User, name: str, category: str, kinds: list[str], region: Region, contact: str, phone: str
) -> tuple[Provider, bool]:
    existing = Provider.objects.filter(name=name, region=region).first()
    if existing is not None:
        return existing, False
    data = ProviderInput(
        name=name,
        category=category,
        kinds=kinds,
        region_code=region.code,
        contact_name=contact,
        contact_phone=phone,
        address=f"{region.name}",
    )
    return create_provider(actor=officer, data=data), True


def _contracts(officer: User, provider: Provider, index: int, today: dt.date) -> int:
    """This year's contract for every provider but the training school, whose one expired last year;
    the elder-care centre has last year's (expired) too."""
    year = today.year
    wanted: list[ContractInput] = []
    this_year = ContractInput(
        number=f"WZMZ-{year}-{index + 1:03d}",
        buyer="武陟县民政局",
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        kinds=list(provider.kinds),
        amount=f"{(index + 2) * 60000}.00",
    )
    last_year = ContractInput(
        number=f"WZMZ-{year - 1}-{index + 1:03d}",
        buyer="武陟县民政局",
        starts_on=dt.date(year - 1, 1, 1),
        ends_on=dt.date(year - 1, 12, 31),
        kinds=list(provider.kinds),
        amount=f"{(index + 1) * 50000}.00",
    )
    if provider.category == "training":
        wanted = [last_year]
    elif index == 0:
        wanted = [this_year, last_year]
    else:
        wanted = [this_year]
    made = 0
    for contract in wanted:
        if not ProviderContract.objects.filter(provider=provider, number=contract.number).exists():
            add_contract(actor=officer, provider_id=provider.pk, data=contract)
            made += 1
    return made


def seed_care(*, county: Region, seed: int, today: dt.date | None = None, services: int = SERVICES) -> CareSeed:
    """Providers of every category with contracts, and rated care services of the county's elders.

    Needs the county's officer (seed_demo's `wuzhi`) and visits (seed_visitors_and_visits); returns
    what it created. Run after the visits; a follow-ups demo that assigns follow-ups to providers runs
    after it, so that the providers exist.
    """
    rng = random.Random(f"{seed}:care")
    today = today or local_today()
    officer = _officer(county)
    township = Region.objects.filter(parent=county).order_by("code").first()
    made_providers = made_contracts = 0
    for index, (name, category, kinds, contact, phone) in enumerate(COUNTY_PROVIDERS):
        provider, created = _provider(officer, f"{county.name}{name}", category, kinds, county, contact, phone)
        made_providers += created
        made_contracts += _contracts(officer, provider, index, today)
    if township is not None:
        _local, created = _provider(
            officer,
            f"{township.name}综合养老服务中心",
            "elder_care",
            ["daily_care", "adaptation"],
            township,
            "赵娟",
            "13903910505",
        )
        made_providers += created
        staff = User.objects.filter(username=STAFF_USERNAME).first()
        if staff is None:
            staff = make_user(
                STAFF_USERNAME,
                Role.VISITOR,
                [township],
                password=DEFAULT_PASSWORD,
                display_name=f"{county.name}颐养居家养老服务中心 护理员",
            )
        centre = Provider.objects.get(name=f"{county.name}{COUNTY_PROVIDERS[0][0]}", region=county)
        add_staff(actor=officer, provider_id=centre.pk, username=staff.username)
    return CareSeed(
        providers=made_providers,
        contracts=made_contracts,
        services=_services(officer, county, rng, today, services, seed),
    )


def _services(officer: User, county: Region, rng: random.Random, today: dt.date, count: int, seed: int) -> int:
    """Care services a few days after a visit of elders who have one, the demo village's elders first."""
    last_visits: dict[int, dt.date] = {}
    for elder_id, day in (
        Visit.objects.filter(region_path__startswith=county.path, outcome=Outcome.VISITED, rejected=False)
        .order_by("region_path", "elder_id", "-day")
        .values_list("elder_id", "day")
        .iterator(chunk_size=500)
    ):
        last_visits.setdefault(elder_id, day)
        if len(last_visits) >= count:
            break
    elders = Elder.objects.filter(pk__in=list(last_visits)).select_related("region").order_by("region_path", "pk")
    signatures = [_signature(rng) for _ in range(6)]
    seal = _seal()
    made = 0
    for position, elder in enumerate(elders):
        providers = list(providers_serving(elder))
        provider = providers[position % len(providers)] if providers else None
        kind = rng.choice(list(provider.kinds)) if provider else "daily_care"
        served = min(today, last_visits[elder.pk] + dt.timedelta(days=rng.randint(0, 6)))
        sealed = position % 5 == 4
        data = CareServiceInput(
            served_on=max(served, elder.registered_on),
            content=rng.choice(CONTENTS.get(kind, CONTENTS["daily_care"])),
            server_name=rng.choice(SERVERS),
            satisfaction=rng.choices([level for level, _w in LEVELS], weights=[w for _l, w in LEVELS])[0],
            remarks=rng.choice(REMARKS),
            provider_id=provider.pk if provider else None,
            server_signature=None if sealed else rng.choice(signatures),
            seal=seal if sealed else None,
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"tanfang-demo-care:{seed}:{elder.pk}"),
        )
        _service, created = record_care_service(actor=officer, elder_id=elder.pk, data=data)
        made += created
    return made
