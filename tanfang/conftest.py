"""Fixed personas and a small region tree of real codes, defined once for every test.

North is 武陟县 (410823); south is 博爱县 (410822), the outsider county.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tanfang.accounts.models import User
from tanfang.core.roles import RegionLevel, Role
from tanfang.devtools.factories import DEFAULT_PASSWORD, ensure_region, make_user
from tanfang.regions.models import Region


class Tree:
    def __init__(self) -> None:
        self.henan = ensure_region("410000", "河南省", RegionLevel.PROVINCE)
        self.jiaozuo = ensure_region("410800", "焦作市", RegionLevel.CITY, self.henan)
        self.wuzhi = ensure_region("410823", "武陟县", RegionLevel.COUNTY, self.jiaozuo)
        self.mucheng = ensure_region("410823001000", "木城街道", RegionLevel.TOWNSHIP, self.wuzhi)
        self.jianshe = ensure_region("410823001001", "建设社区居民委员会", RegionLevel.VILLAGE, self.mucheng)
        self.heping = ensure_region("410823001002", "和平社区居民委员会", RegionLevel.VILLAGE, self.mucheng)
        self.boai = ensure_region("410822", "博爱县", RegionLevel.COUNTY, self.jiaozuo)
        self.qinghua = ensure_region("410822001000", "博爱县清化镇街道", RegionLevel.TOWNSHIP, self.boai)
        self.bajie = ensure_region("410822001001", "八街居民委员会", RegionLevel.VILLAGE, self.qinghua)


@pytest.fixture
def tree(db: None) -> Tree:
    return Tree()


@pytest.fixture
def north(tree: Tree) -> Region:
    return tree.wuzhi


@pytest.fixture
def south(tree: Tree) -> Region:
    return tree.boai


@pytest.fixture
def admin_province(tree: Tree) -> User:
    return make_user("admin_henan", Role.SYSTEM_ADMIN, [tree.henan], display_name="系统管理员")


@pytest.fixture
def security_admin(tree: Tree) -> User:
    return make_user("secadmin_henan", Role.SECURITY_ADMIN, [tree.henan], display_name="安全管理员")


@pytest.fixture
def audit_admin(tree: Tree) -> User:
    return make_user("auditor_henan", Role.AUDIT_ADMIN, [tree.henan], display_name="审计管理员")


@pytest.fixture
def officer_province(tree: Tree) -> User:
    return make_user("officer_henan", Role.PROVINCE_OFFICER, [tree.henan], display_name="省厅干部")


@pytest.fixture
def officer_city(tree: Tree) -> User:
    return make_user("officer_jiaozuo", Role.CITY_OFFICER, [tree.jiaozuo], display_name="焦作市民政局")


@pytest.fixture
def officer_county_north(tree: Tree) -> User:
    return make_user("officer_wuzhi", Role.COUNTY_OFFICER, [tree.wuzhi], display_name="武陟县民政局")


@pytest.fixture
def officer_township_north(tree: Tree) -> User:
    return make_user("officer_mucheng", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="木城街道办")


@pytest.fixture
def worker_village_north(tree: Tree) -> User:
    return make_user("worker_jianshe", Role.VILLAGE_WORKER, [tree.jianshe], display_name="建设社区工作人员")


@pytest.fixture
def visitor_north(tree: Tree) -> User:
    return make_user("visitor_jianshe", Role.VISITOR, [tree.jianshe], display_name="网格员小李")


@pytest.fixture
def supervisor_north(tree: Tree) -> User:
    return make_user("supervisor_wuzhi", Role.SUPERVISOR, [tree.wuzhi], display_name="县纪委监督员")


@pytest.fixture
def officer_county_south(tree: Tree) -> User:
    return make_user("officer_boai", Role.COUNTY_OFFICER, [tree.boai], display_name="博爱县民政局")


@pytest.fixture
def nobody(tree: Tree) -> User:
    return make_user("no_region", Role.COUNTY_OFFICER, [], display_name="未分配区划")


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def as_user():
    return logged_in


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` (another process opens the test database) run on PostgreSQL only. On
    SQLite the test database is in memory, out of any other process's reach: they are deselected there
    (reported as deselected, not skipped), and .ci/run's PostgreSQL step runs them."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    needs_postgresql = [item for item in items if item.get_closest_marker("postgresql")]
    if needs_postgresql:
        config.hook.pytest_deselected(items=needs_postgresql)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
