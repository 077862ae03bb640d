"""Registering, changing and protecting elders: the rules with edge cases, given / when / then."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import make_citizen_id
from tanfang.core.roles import Role
from tanfang.core.time import local_today
from tanfang.devtools.factories import elder_input, make_elder, make_user
from tanfang.elders.inputs import ContactInput, GroupInput, MemberInput
from tanfang.elders.models import Elder, Group, GroupSource, Status
from tanfang.elders.personal_data import reveal
from tanfang.elders.selectors import ElderFilters, filter_elders
from tanfang.elders.services import (
    DuplicateElder,
    change_status,
    merge_elders,
    register_elder,
    update_elder,
)

JIANSHE = "410823001001"
BAJIE = "410822001001"


def _errors(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in excinfo.value.errors}


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("41082319480315002", "应为18位，实际为17位"),
        ("4108231948031500211", "应为18位，实际为19位"),
        ("41082319480315002A", "最后一位必须是数字或 X"),
        ("4108231948O315002X", "前17位必须是数字"),
        ("410823194802300213", "出生日期 1948-02-30 不存在"),
        ("410823194902290018", "出生日期 1949-02-29 不存在"),  # 1949 is not a leap year
    ],
)
def test_invalid_id_numbers_are_refused_with_the_reason(tree, officer_county_north, number, message):
    # given a number that breaks one rule of GB 11643
    data = elder_input("张三", JIANSHE)
    data.id_number = number

    # when / then
    with pytest.raises(ValidationFailed) as excinfo:
        register_elder(actor=officer_county_north, data=data)
    assert message in _errors(excinfo)["id_number"]
    assert Elder.objects.count() == 0


def test_a_wrong_check_character_names_the_right_one(tree, officer_county_north):
    number = make_citizen_id("410823", dt.date(1948, 3, 15), 21)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    data = elder_input("张三", JIANSHE)
    data.id_number = wrong

    with pytest.raises(ValidationFailed) as excinfo:
        register_elder(actor=officer_county_north, data=data)

    assert f"校验码应为 {number[-1]}" in _errors(excinfo)["id_number"]


def test_a_leap_day_birth_in_a_leap_year_is_valid_and_derives_birth_and_sex(tree, officer_county_north):
    # given 29 February 1948 (a leap year) and an odd sequence: a man
    data = elder_input("李四", JIANSHE, birth=dt.date(1948, 2, 29), sequence=33)

    elder = register_elder(actor=officer_county_north, data=data)

    assert elder.birth_date == dt.date(1948, 2, 29)
    assert elder.sex == "M"


def test_birth_date_and_sex_typed_against_the_id_number_must_agree(tree, officer_county_north):
    data = elder_input("王五", JIANSHE, birth=dt.date(1950, 1, 2), sequence=33, sex="F")
    data.birth_date = dt.date(1950, 1, 3)

    with pytest.raises(ValidationFailed) as excinfo:
        register_elder(actor=officer_county_north, data=data)

    errors = _errors(excinfo)
    assert errors["sex"] == "性别与公民身份号码不符：号码显示为男"
    assert errors["birth_date"] == "出生日期与公民身份号码不符：号码显示为 1950-01-02"


def test_someone_under_60_is_not_an_elder_to_be_visited(tree, officer_county_north):
    today = local_today()
    young = dt.date(today.year - 59, 1, 1)

    with pytest.raises(ValidationFailed) as excinfo:
        register_elder(actor=officer_county_north, data=elder_input("赵六", JIANSHE, birth=young))

    assert "未满60周岁" in _errors(excinfo)["id_number"]


def test_registering_stores_personal_data_encrypted_and_masked(tree, officer_county_north):
    data = elder_input("钱七", JIANSHE, phone="138 0013 8000")

    elder = register_elder(actor=officer_county_north, data=data)

    elder.refresh_from_db()
    assert elder.id_number_masked == data.id_number[:6] + "*" * 12
    assert elder.phone_masked == "138*****000"
    assert data.id_number.encode() not in bytes(elder.id_number_cipher)
    assert elder.phone_cipher is not None and b"13800138000" not in bytes(elder.phone_cipher)
    assert len(elder.id_number_index) == 64


def test_every_section_is_kept_and_the_creation_is_audited(tree, officer_county_north):
    data = elder_input(
        "孙八",
        JIANSHE,
        groups=[GroupInput(Group.LIVING_ALONE), GroupInput(Group.DISABLED, GroupSource.ASSESSMENT)],
        contacts=[ContactInput("孙小八", "儿子", "13912345678")],
        household=[MemberInput("孙八", "户主")],
        drinking_water_safe=True,
        housing_safe=False,
    )

    elder = register_elder(actor=officer_county_north, data=data)

    assert sorted(elder.groups.values_list("group", flat=True)) == ["disabled", "living_alone"]
    assert elder.contacts.get().phone_masked == "139*****678"
    assert elder.household.get().relation_to_head == "户主"
    assert elder.status_changes.get().status == Status.ACTIVE
    event = AuditEvent.objects.get(action="elder.created", subject_id=str(elder.pk))
    assert event.changes["name"] == {"old": None, "new": "孙八"}
    assert data.id_number not in str(event.changes)  # only the masked number is audited
    assert event.changes["id_number_masked"] == {"old": None, "new": "410823************"}
    assert event.changes["birth_date"] == {"old": None, "new": "1948-**-**"}  # the year alone
    assert "1948-03-15" not in str(event.changes) and "13912345678" not in str(event.changes)


def test_a_duplicate_inside_scope_links_to_the_existing_record(tree, officer_county_north):
    first = make_elder(officer_county_north, "周九", JIANSHE)

    with pytest.raises(DuplicateElder) as excinfo:
        register_elder(actor=officer_county_north, data=elder_input("周九九", "410823001002"))

    assert excinfo.value.elder_id == first.pk
    assert "该公民身份号码已登记：周九" in excinfo.value.message
    assert Elder.objects.count() == 1


def test_a_duplicate_outside_scope_names_only_the_county_to_contact(tree, officer_county_north, officer_county_south):
    # given the person is registered in 武陟县
    make_elder(officer_county_north, "吴十", JIANSHE)

    # when 博爱县 registers the same ID number
    with pytest.raises(DuplicateElder) as excinfo:
        register_elder(actor=officer_county_south, data=elder_input("吴十", BAJIE, county_code="410823"))

    # then it learns which county to contact, and nothing else
    assert excinfo.value.elder_id is None
    assert excinfo.value.message == "此人已在其他地区登记（河南省焦作市武陟县），请联系该县（市、区）民政部门核实"
    assert "吴十" not in excinfo.value.message and "建设" not in excinfo.value.message


def test_an_officer_cannot_register_into_a_village_outside_scope(tree, officer_county_south):
    with pytest.raises(ValidationFailed) as excinfo:
        register_elder(actor=officer_county_south, data=elder_input("郑一", JIANSHE))

    assert "不在您的辖区内" in _errors(excinfo)["village_code"]
    assert Elder.objects.count() == 0


def test_roles_without_the_right_cannot_register(tree, visitor_north):
    supervisor = make_user("watcher", Role.SUPERVISOR, [tree.wuzhi])
    for actor in (visitor_north, supervisor):
        with pytest.raises(PermissionDenied):
            register_elder(actor=actor, data=elder_input("冯二", JIANSHE))


def test_an_edit_audits_old_and_new_values(tree, officer_county_north):
    elder = make_elder(officer_county_north, "陈三", JIANSHE, address="1组1号")
    data = elder_input("陈三", JIANSHE, address="2组8号", subsistence="minimum")

    update_elder(actor=officer_county_north, elder=elder, data=data)

    event = AuditEvent.objects.get(action="elder.updated", subject_id=str(elder.pk))
    assert event.changes["address"] == {"old": "1组1号", "new": "2组8号"}
    assert event.changes["subsistence"] == {"old": "", "new": "minimum"}


def test_revealing_a_full_value_needs_a_reason_a_permitted_role_and_is_audited(tree, officer_county_north):
    data = elder_input("褚四", JIANSHE, phone="13700001111")
    elder = make_elder(officer_county_north, "褚四", JIANSHE, phone="13700001111")
    city_officer = make_user("city", Role.CITY_OFFICER, [tree.jiaozuo])

    with pytest.raises(ValidationFailed):
        reveal(actor=officer_county_north, elder=elder, field="id_number", reason="")
    with pytest.raises(PermissionDenied):
        reveal(actor=city_officer, elder=elder, field="id_number", reason="统计核对")
    assert not AuditEvent.objects.filter(action="elder.revealed").exists()

    value = reveal(actor=officer_county_north, elder=elder, field="id_number", reason="核实低保申请")

    assert value == data.id_number
    event = AuditEvent.objects.get(action="elder.revealed")
    assert event.details == {"field": "id_number", "reason": "核实低保申请"}
    assert event.actor_label == "officer_wuzhi"


def test_revealing_outside_scope_is_not_found(tree, officer_county_north, officer_county_south):
    elder = make_elder(officer_county_north, "卫五", JIANSHE)

    with pytest.raises(NotFound):
        reveal(actor=officer_county_south, elder=elder, field="id_number", reason="看看")


def test_no_personal_data_reaches_the_application_log(tree, officer_county_north, caplog):
    caplog.set_level(logging.DEBUG)
    data = elder_input("蒋六", JIANSHE, phone="13600002222")

    elder = register_elder(actor=officer_county_north, data=data)
    reveal(actor=officer_county_north, elder=elder, field="phone", reason="联系家属")

    assert data.id_number not in caplog.text
    assert "13600002222" not in caplog.text


def test_status_changes_are_dated_kept_as_history_and_end_at_death(tree, officer_county_north):
    elder = make_elder(officer_county_north, "沈七", JIANSHE, registered_on=dt.date(2026, 1, 10))

    change_status(actor=officer_county_north, elder=elder, status=Status.HOSPITALISED, since=dt.date(2026, 3, 1))
    change_status(actor=officer_county_north, elder=elder, status=Status.DECEASED, since=dt.date(2026, 4, 2))

    elder.refresh_from_db()
    assert (elder.status, elder.status_since) == (Status.DECEASED, dt.date(2026, 4, 2))
    history = list(elder.status_changes.values_list("status", "since"))
    assert history == [
        ("active", dt.date(2026, 1, 10)),
        ("hospitalised", dt.date(2026, 3, 1)),
        ("deceased", dt.date(2026, 4, 2)),
    ]
    with pytest.raises(ValidationFailed):
        change_status(actor=officer_county_north, elder=elder, status=Status.ACTIVE, since=dt.date(2026, 5, 1))


def test_a_status_cannot_start_before_registration_or_in_the_future(tree, officer_county_north):
    elder = make_elder(officer_county_north, "韩八", JIANSHE, registered_on=dt.date(2026, 1, 10))

    with pytest.raises(ValidationFailed):
        change_status(actor=officer_county_north, elder=elder, status=Status.AWAY, since=dt.date(2026, 1, 9))
    with pytest.raises(ValidationFailed):
        change_status(
            actor=officer_county_north, elder=elder, status=Status.AWAY, since=local_today() + dt.timedelta(days=1)
        )


def test_merging_moves_the_lists_keeps_the_duplicate_as_history_and_hides_it(tree, officer_county_north):
    keep = make_elder(officer_county_north, "杨九", JIANSHE, groups=[GroupInput(Group.EMPTY_NEST)])
    duplicate = make_elder(
        officer_county_north,
        "杨玖",
        JIANSHE,
        sequence=23,
        groups=[GroupInput(Group.EMPTY_NEST), GroupInput(Group.DISABLED, GroupSource.ASSESSMENT)],
        contacts=[ContactInput("杨小九", "女儿", "13812341234")],
    )

    merge_elders(actor=officer_county_north, keep=keep, duplicate=duplicate, reason="同一人，身份证号录错")

    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == keep.pk
    assert sorted(keep.groups.values_list("group", flat=True)) == ["disabled", "empty_nest"]
    assert keep.contacts.get().name == "杨小九"
    listed = filter_elders(officer_county_north, ElderFilters())
    assert list(listed) == [keep]
    assert AuditEvent.objects.filter(action="elder.merged").count() == 2


def test_only_county_officers_merge(tree, officer_township_north, officer_county_north):
    a = make_elder(officer_county_north, "朱一", JIANSHE)
    b = make_elder(officer_county_north, "朱壹", JIANSHE, sequence=23)

    with pytest.raises(PermissionDenied):
        merge_elders(actor=officer_township_north, keep=a, duplicate=b, reason="重复")


def test_list_filters_by_region_group_status_age_and_exact_numbers(tree, officer_county_north):
    today = local_today()
    old = make_elder(
        officer_county_north,
        "秦一",
        JIANSHE,
        birth=dt.date(today.year - 85, 1, 1),
        phone="13512345678",
        groups=[GroupInput(Group.LIVING_ALONE)],
    )
    young = make_elder(officer_county_north, "秦二", "410823001002", birth=dt.date(today.year - 65, 1, 1), sequence=23)

    def names(**filters: str) -> list[str]:
        return [e.name for e in filter_elders(officer_county_north, ElderFilters(**filters))]

    assert names(region="410823001002") == ["秦二"]
    assert names(group="living_alone") == ["秦一"]
    assert names(age_band="80+") == ["秦一"]
    assert names(age_band="60-69") == ["秦二"]
    assert names(q="秦") == ["秦一", "秦二"]
    assert names(q="13512345678") == ["秦一"]
    number = make_citizen_id("410823", young.birth_date, 23)
    assert names(q=number) == ["秦二"]
    assert names(q=number[:10]) == []  # no partial matching of ID numbers
    assert names(region="410822") == []  # outside scope: nothing
    change_status(actor=officer_county_north, elder=old, status=Status.AWAY, since=today)
    assert names(status="away") == ["秦一"]
