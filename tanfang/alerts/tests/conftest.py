"""An elder of 建设社区 with two emergency contacts and a phone, its paired visitor (a log-in with a
phone), the village's worker and the township's officer, each with a phone for the SMS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tanfang.accounts.models import PHONE_CONTEXT, User
from tanfang.core.crypto import field_cipher
from tanfang.core.id_numbers import mask_phone
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user
from tanfang.elders.inputs import ContactInput
from tanfang.elders.models import Elder
from tanfang.visitors.models import Visitor
from tanfang.visitors.services import VisitorInput, create_visitor, pair

JIANSHE = "410823001001"


def with_phone(user: User, phone: str) -> User:
    user.phone_cipher = field_cipher().encrypt(phone, context=PHONE_CONTEXT)
    user.phone_masked = mask_phone(phone)
    user.save(update_fields=["phone_cipher", "phone_masked"])
    return user


@dataclass
class Scene:
    elder: Elder
    visitor: Visitor
    visitor_user: User
    worker: User
    township: User


@pytest.fixture
def scene(tree, officer_county_north) -> Scene:
    visitor_user = make_user("visitor_chen", Role.VISITOR, [tree.jianshe], display_name="网格员陈晓")
    visitor = create_visitor(
        actor=officer_county_north,
        data=VisitorInput(name="陈晓", kind="grid_worker", region_code=JIANSHE, phone="13812345678"),
    )
    visitor.user = visitor_user
    visitor.save()
    elder = make_elder(
        officer_county_north,
        "王老汉",
        JIANSHE,
        registered_on=dt.date(2025, 5, 1),
        phone="13700001111",
        contacts=[ContactInput("王大明", "儿子", "13900002222"), ContactInput("李秀", "邻居", "13600003333")],
    )
    pair(actor=officer_county_north, elder=elder, visitor=visitor, on=dt.date(2025, 5, 1))
    worker = with_phone(
        make_user("worker_liu", Role.VILLAGE_WORKER, [tree.jianshe], display_name="建设社区刘委员"), "13500004444"
    )
    township = with_phone(
        make_user("officer_zhao", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="木城街道赵主任"),
        "13400005555",
    )
    return Scene(elder, visitor, visitor_user, worker, township)
