"""A visitor with a log-in, paired with an elder of 建设社区, for the records tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user
from tanfang.elders.inputs import ContactInput
from tanfang.records.tests.helpers import JIANSHE
from tanfang.visitors.services import VisitorInput, create_visitor, pair


@dataclass
class Setting:
    user: Any
    visitor: Any
    elder: Any
    officer: Any


@pytest.fixture
def paired(tree, officer_county_north) -> Setting:
    user = make_user("visitor_li", Role.VISITOR, [tree.jianshe], display_name="志愿者李华")
    visitor = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="李华", kind="volunteer", region_code=JIANSHE)
    )
    visitor.user = user
    visitor.save()
    elder = make_elder(
        officer_county_north,
        "张桂兰",
        JIANSHE,
        sequence=41,
        registered_on=dt.date(2025, 3, 1),
        phone="13800001234",
        address="建设路12号",
        contacts=[ContactInput("王强", "儿子", "13900005678")],
    )
    pair(actor=officer_county_north, elder=elder, visitor=visitor, on=dt.date(2025, 3, 1))
    return Setting(user=user, visitor=visitor, elder=elder, officer=officer_county_north)
