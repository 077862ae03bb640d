"""The provider registry: who sees which provider, who keeps it, contracts, staff accounts, pages and API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.care.models import Provider, ProviderContract
from tanfang.care.providers import (
    PHONE_CONTEXT,
    ContractInput,
    ProviderInput,
    add_contract,
    add_staff,
    contract_state,
    create_provider,
    providers_visible_to,
    remove_staff,
    update_provider,
)
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_user

PHONE = "13812345678"


def provider_input(**changes: Any) -> ProviderInput:
    values: dict[str, Any] = {
        "name": "武陟县颐养居家养老服务中心",
        "category": "elder_care",
        "kinds": ["daily_care", "emotional"],
        "region_code": "410823",
        "contact_name": "周敏",
        "contact_phone": PHONE,
        "address": "木城街道建设路1号",
    } | changes
    return ProviderInput(**values)


def contract_input(**changes: Any) -> ContractInput:
    values: dict[str, Any] = {
        "number": "WZMZ-2026-001",
        "buyer": "武陟县民政局",
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31),
        "kinds": ["daily_care"],
        "amount": "120000.00",
    } | changes
    return ContractInput(**values)


@pytest.fixture
def county_provider(officer_county_north) -> Provider:
    return create_provider(actor=officer_county_north, data=provider_input())


def test_a_county_officer_registers_a_provider_with_its_phone_encrypted_and_shown_masked(officer_county_north):
    # when
    provider = create_provider(actor=officer_county_north, data=provider_input(kinds=["emotional", "daily_care"]))

    # then
    stored = Provider.objects.get(pk=provider.pk)
    assert (stored.name, stored.category, stored.region_id, stored.region_path) == (
        "武陟县颐养居家养老服务中心",
        "elder_care",
        "410823",
        "410000/410800/410823/",
    )
    assert stored.kinds == ["daily_care", "emotional"]  # in the order of the choices
    assert stored.contact_phone_masked == "138*****678"
    assert field_cipher().decrypt(bytes(stored.contact_phone_cipher or b""), context=PHONE_CONTEXT) == PHONE
    event = AuditEvent.objects.get(action=Action.PROVIDER_SAVED)
    assert event.changes["contact_phone_masked"] == {"old": None, "new": "138*****678"}
    assert PHONE not in str(event.changes) + str(event.details)


def test_a_village_worker_may_not_register_a_provider(worker_village_north):
    with pytest.raises(PermissionDenied):
        create_provider(actor=worker_village_north, data=provider_input(region_code="410823001001"))

    assert Provider.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_provider_for_another_countys_area_is_refused(officer_county_south):
    with pytest.raises(ValidationFailed) as refused:
        create_provider(actor=officer_county_south, data=provider_input(region_code="410823"))

    assert [(e.field, e.message) for e in refused.value.errors] == [("region_code", "区划代码不存在或不在您的辖区内")]
    assert Provider.objects.count() == 0


def test_each_wrong_field_of_a_provider_is_named_in_chinese(officer_county_north):
    with pytest.raises(ValidationFailed) as refused:
        create_provider(
            actor=officer_county_north,
            data=provider_input(name=" ", category="hotel", kinds=[], contact_name="", contact_phone="12345"),
        )

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("name", "请填写机构名称"),
        ("category", "请选择机构类别"),
        ("kinds", "请至少选择一项服务类别"),
        ("contact_name", "请填写联系人"),
        ("contact_phone", "电话号码格式不正确：应为11位手机号或带区号的固定电话"),
    ]
    assert Provider.objects.count() == 0


def test_a_county_wide_provider_is_seen_by_everyone_below_and_nobody_elsewhere(
    county_provider, officer_township_north, worker_village_north, officer_province, officer_county_south, visitor_north
):
    # given a provider of one village, beside the county-wide one
    village = create_provider(
        actor=officer_township_north, data=provider_input(name="建设社区助餐点", region_code="410823001001")
    )
    other_village_worker = make_user("worker_heping", Role.VILLAGE_WORKER, [])
    other_village_worker.region_assignments.create(region_id="410823001002")

    # then
    assert set(providers_visible_to(officer_township_north)) == {county_provider, village}
    assert set(providers_visible_to(worker_village_north)) == {county_provider, village}
    assert set(providers_visible_to(other_village_worker)) == {county_provider}
    assert set(providers_visible_to(officer_province)) == {county_provider, village}
    assert list(providers_visible_to(officer_county_south)) == []
    assert list(providers_visible_to(visitor_north)) == []  # a visitor reads no registry


def test_a_staff_account_sees_its_own_provider(county_provider, officer_county_north, visitor_north):
    add_staff(actor=officer_county_north, provider_id=county_provider.pk, username="visitor_jianshe")

    assert list(providers_visible_to(visitor_north)) == [county_provider]


def test_a_township_officer_reads_but_may_not_change_a_county_wide_provider(county_provider, officer_township_north):
    with pytest.raises(PermissionDenied):
        update_provider(actor=officer_township_north, provider_id=county_provider.pk, data=provider_input(name="改名"))
    with pytest.raises(PermissionDenied):
        add_contract(actor=officer_township_north, provider_id=county_provider.pk, data=contract_input())

    assert Provider.objects.get().name == "武陟县颐养居家养老服务中心"
    assert ProviderContract.objects.count() == 0


def test_another_countys_officer_finds_no_provider_to_change(county_provider, officer_county_south):
    with pytest.raises(NotFound):
        update_provider(actor=officer_county_south, provider_id=county_provider.pk, data=provider_input(name=""))


def test_editing_without_a_phone_keeps_the_stored_one_and_audits_the_change(county_provider, officer_county_north):
    # when
    update_provider(
        actor=officer_county_north,
        provider_id=county_provider.pk,
        data=provider_input(contact_name="王芳", contact_phone="", active=False),
    )

    # then
    stored = Provider.objects.get()
    assert (stored.contact_name, stored.contact_phone_masked, stored.active) == ("王芳", "138*****678", False)
    event = AuditEvent.objects.filter(action=Action.PROVIDER_SAVED).latest("pk")
    assert event.changes == {"active": {"old": True, "new": False}, "contact_name": {"old": "周敏", "new": "王芳"}}


def test_a_contract_is_active_in_its_period_and_expired_after_it(county_provider, officer_county_north):
    contract = add_contract(actor=officer_county_north, provider_id=county_provider.pk, data=contract_input())

    assert contract_state(contract, dt.date(2025, 12, 31)) == "upcoming"
    assert contract_state(contract, dt.date(2026, 1, 1)) == "active"
    assert contract_state(contract, dt.date(2026, 12, 31)) == "active"
    assert contract_state(contract, dt.date(2027, 1, 1)) == "expired"
    event = AuditEvent.objects.get(action=Action.PROVIDER_CONTRACT_SAVED)
    assert event.details["period"] == ["2026-01-01", "2026-12-31"]
    assert event.details["amount"] == "120000.00"


def test_a_contract_with_a_wrong_period_kind_or_amount_is_refused(county_provider, officer_county_north):
    with pytest.raises(ValidationFailed) as refused:
        add_contract(
            actor=officer_county_north,
            provider_id=county_provider.pk,
            data=contract_input(ends_on=dt.date(2025, 12, 31), kinds=["adaptation"], amount="-5"),
        )

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("ends_on", "结束日期不能早于开始日期"),
        ("amount", "金额应在0至9999999999.99元之间"),
        ("kinds", "合同的服务类别须是该机构提供的服务类别"),
    ]
    assert ProviderContract.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.PROVIDER_CONTRACT_SAVED).exists()


def test_staff_are_added_by_username_inside_the_scope_and_removed(
    county_provider, officer_county_north, visitor_north, officer_county_south, admin_province
):
    # when
    add_staff(actor=officer_county_north, provider_id=county_provider.pk, username=" visitor_jianshe ")
    add_staff(actor=officer_county_north, provider_id=county_provider.pk, username="visitor_jianshe")  # again

    # then
    assert list(county_provider.staff.all()) == [visitor_north]
    assert AuditEvent.objects.filter(action=Action.PROVIDER_SAVED, details__staff_added="visitor_jianshe").count() == 1

    # and accounts elsewhere, missing or of an administrator are refused alike
    for username, message in [
        ("officer_boai", "没有找到该用户名，或该账号不在您的辖区内"),
        ("nobody_here", "没有找到该用户名，或该账号不在您的辖区内"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            add_staff(actor=officer_county_north, provider_id=county_provider.pk, username=username)
        assert refused.value.errors[0].message == message
    assert list(county_provider.staff.all()) == [visitor_north]

    # and removing one
    remove_staff(actor=officer_county_north, provider_id=county_provider.pk, user_id=visitor_north.pk)
    assert list(county_provider.staff.all()) == []
    assert AuditEvent.objects.filter(details__staff_removed="visitor_jianshe").count() == 1


def test_an_administrator_account_cannot_be_made_staff(tree, county_provider, officer_county_north):
    make_user("sys_wuzhi", Role.SYSTEM_ADMIN, [tree.wuzhi])

    with pytest.raises(ValidationFailed) as refused:
        add_staff(actor=officer_county_north, provider_id=county_provider.pk, username="sys_wuzhi")

    assert refused.value.errors[0].message == "该账号已停用、尚未授权或是管理员账号，不能作为机构人员"
    assert county_provider.staff.count() == 0


# --- pages and API ------------------------------------------------------------------------------


def test_the_list_page_shows_the_area_providers_with_masked_phones(county_provider, officer_township_north, as_user):
    response = as_user(officer_township_north).get("/care/providers/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "武陟县颐养居家养老服务中心" in text and "138*****678" in text
    assert PHONE not in text
    assert "登记服务机构" in text  # a township officer registers providers of its township


def test_a_county_officer_registers_a_provider_through_the_page(officer_county_north, as_user):
    # when
    response = as_user(officer_county_north).post(
        "/care/providers/new/",
        {
            "name": "武陟县康复护理中心",
            "category": "medical",
            "kinds": ["rehabilitation"],
            "region_code": "410823001000",
            "contact_name": "李医生",
            "contact_phone": "0391-7221234",
            "active": "on",
        },
    )

    # then
    provider = Provider.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/care/providers/{provider.pk}/"
    assert (provider.region_id, provider.kinds, provider.active) == ("410823001000", ["rehabilitation"], True)


def test_a_page_with_wrong_fields_is_shown_again_with_the_errors(officer_county_north, as_user):
    response = as_user(officer_county_north).post("/care/providers/new/", {"name": "", "category": "medical"})

    assert response.status_code == 422
    assert "请填写机构名称" in response.content.decode()
    assert Provider.objects.count() == 0


def test_the_detail_page_shows_active_and_expired_contracts(county_provider, officer_county_north, as_user):
    # given
    add_contract(actor=officer_county_north, provider_id=county_provider.pk, data=contract_input())
    add_contract(
        actor=officer_county_north,
        provider_id=county_provider.pk,
        data=contract_input(number="WZMZ-2024-007", starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 12, 31)),
    )

    # when
    response = as_user(officer_county_north).get(f"/care/providers/{county_provider.pk}/")

    # then
    text = response.content.decode()
    assert 'data-contract-state="expired"' in text
    assert "WZMZ-2024-007" in text and "已到期" in text


def test_the_api_lists_providers_in_scope_only(county_provider, officer_county_north, officer_county_south, as_user):
    mine = as_user(officer_county_north).get("/api/v1/providers").json()
    theirs = as_user(officer_county_south).get("/api/v1/providers").json()
    missing = as_user(officer_county_south).get(f"/api/v1/providers/{county_provider.pk}")

    assert [(p["name"], p["contact_phone"], p["region_code"]) for p in mine["items"]] == [
        ("武陟县颐养居家养老服务中心", "138*****678", "410823")
    ]
    assert theirs["items"] == []
    assert missing.status_code == 404
    assert missing.json() == {"code": "not_found", "message": "未找到该记录"}


def test_an_administrator_is_refused_the_registry(county_provider, admin_province, as_user):
    client = as_user(admin_province)

    assert client.get("/care/providers/").status_code == 403
    assert client.get("/api/v1/providers").status_code == 403
