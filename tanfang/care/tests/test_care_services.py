"""Care services (section 6): who records them for whom, numbering, closing follow-ups, bad input, pages, API."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.care.care_services import (
    CareServiceInput,
    care_services_visible_to,
    elders_for_care,
    record_care_service,
)
from tanfang.care.models import (
    CareService,
    FollowUp,
    FollowUpEvent,
    FollowUpState,
    Provider,
    ProviderContract,
    Satisfaction,
)
from tanfang.care.providers import ProviderInput, add_staff, contract_state, create_provider
from tanfang.care.services import FollowUpInput, assign_follow_up, close_follow_up, open_follow_up
from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.core.roles import Role
from tanfang.core.time import local_today, now
from tanfang.devtools.demo_care import seed_care
from tanfang.devtools.factories import make_elder, make_user
from tanfang.elders.models import Elder
from tanfang.records.services import RecordInput, submit_record
from tanfang.records.tests.helpers import data_url, jpeg, png
from tanfang.tests.conftest import ANSWERS
from tanfang.visitors.services import VisitorInput, create_visitor, pair

JIANSHE, HEPING, BAJIE = "410823001001", "410823001002", "410822001001"


@dataclass
class Setting:
    elder: Elder
    other_elder: Elder
    provider: Provider
    staff: Any
    follow_up: FollowUp


@pytest.fixture
def setting(tree, officer_county_north, visitor_north) -> Setting:
    """An elder of 建设社区 paired with the visitor, a follow-up assigned to a provider with a staff account."""
    elder = make_elder(officer_county_north, "张桂兰", JIANSHE, sequence=41, registered_on=dt.date(2025, 3, 1))
    other = make_elder(officer_county_north, "李秀英", HEPING, sequence=43, registered_on=dt.date(2025, 3, 1))
    profile = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="网格员小李", kind="grid_worker", region_code=JIANSHE)
    )
    profile.user = visitor_north
    profile.save()
    pair(actor=officer_county_north, elder=elder, visitor=profile, on=dt.date(2025, 3, 1))
    provider = create_provider(
        actor=officer_county_north,
        data=ProviderInput(
            name="武陟县颐养居家养老服务中心",
            category="elder_care",
            kinds=["daily_care"],
            region_code="410823",
            contact_name="周敏",
            contact_phone="13812345678",
        ),
    )
    staff = make_user("yiyang_staff", Role.VISITOR, [tree.mucheng], display_name="颐养中心护理员")
    add_staff(actor=officer_county_north, provider_id=provider.pk, username="yiyang_staff")
    follow_up = open_follow_up(
        actor=officer_county_north,
        elder_id=elder.pk,
        data=FollowUpInput(kind="provider", title="需要助浴服务", service_kind="daily_care"),
    )
    assign_follow_up(actor=officer_county_north, follow_up_id=follow_up.pk, provider_id=provider.pk)
    return Setting(elder=elder, other_elder=other, provider=provider, staff=staff, follow_up=follow_up)


def service_input(**changes: Any) -> CareServiceInput:
    values: dict[str, Any] = {
        "served_on": local_today() - dt.timedelta(days=1),
        "content": "上门助浴一次，修剪指甲",
        "server_name": "周敏",
        "satisfaction": "very_satisfied",
        "server_signature": png(),
    } | changes
    return CareServiceInput(**values)


def state_of_everything() -> list[object]:
    return [
        list(CareService.objects.values()),
        list(FollowUp.objects.values("pk", "state", "done_at")),
        FollowUpEvent.objects.count(),
        AuditEvent.objects.count(),
    ]


# --- recording ------------------------------------------------------------------------------------


def test_care_services_are_numbered_per_elder(setting, officer_county_north):
    # when
    first, _ = record_care_service(actor=officer_county_north, elder_id=setting.elder.pk, data=service_input())
    second, _ = record_care_service(actor=officer_county_north, elder_id=setting.elder.pk, data=service_input())
    other, _ = record_care_service(actor=officer_county_north, elder_id=setting.other_elder.pk, data=service_input())

    # then
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert (first.region_id, first.region_path) == (JIANSHE, setting.elder.region_path)
    assert first.recorded_by == officer_county_north


def test_a_staff_member_records_the_service_that_closes_its_providers_follow_up(setting):
    # when
    service, created = record_care_service(
        actor=setting.staff,
        elder_id=setting.elder.pk,
        data=service_input(follow_up_id=setting.follow_up.pk, satisfaction="fairly", remarks="老人希望每周一次"),
    )

    # then the service is stored, with the follow-up's provider
    assert created
    stored = CareService.objects.get()
    assert (stored.follow_up_id, stored.provider_id, stored.satisfaction, stored.remarks) == (
        setting.follow_up.pk,
        setting.provider.pk,
        "fairly",
        "老人希望每周一次",
    )
    assert bytes(stored.server_signature or b"") == png()
    # and the follow-up is done through the care service
    follow_up = FollowUp.objects.get()
    assert follow_up.state == FollowUpState.DONE
    assert follow_up.outcome_note == "第1次关爱服务：上门助浴一次，修剪指甲"
    assert follow_up.events.latest("id").kind == FollowUpEvent.Kind.SERVED
    recorded = AuditEvent.objects.get(action=Action.CARE_SERVICE_RECORDED)
    assert recorded.details["care_service"] == service.pk
    assert recorded.details["follow_up"] == setting.follow_up.pk
    assert AuditEvent.objects.get(action=Action.FOLLOW_UP_DONE).details == {"care_service": service.pk}


def test_a_seal_image_stands_in_for_a_signature(setting, officer_county_north):
    service, _ = record_care_service(
        actor=officer_county_north,
        elder_id=setting.elder.pk,
        data=service_input(server_signature=None, seal=jpeg(5)),
    )

    assert bytes(CareService.objects.get(pk=service.pk).seal or b"") == jpeg(5)


def test_who_may_record_care_for_which_elder(
    setting, officer_county_north, officer_township_north, worker_village_north, visitor_north, supervisor_north,
    officer_county_south, officer_province,
):  # fmt: skip
    elder, other = setting.elder, setting.other_elder

    assert set(elders_for_care(officer_county_north)) == {elder, other}
    assert set(elders_for_care(officer_township_north)) == {elder, other}
    assert set(elders_for_care(worker_village_north)) == {elder}  # its own village only
    assert set(elders_for_care(visitor_north)) == {elder}  # its paired elder
    assert set(elders_for_care(setting.staff)) == {elder}  # the elder its provider has a live follow-up of
    assert set(elders_for_care(supervisor_north)) == set()  # reads, records nothing
    assert set(elders_for_care(officer_province)) == set()
    assert set(elders_for_care(officer_county_south)) == set()


def test_a_staff_member_may_no_longer_record_once_its_providers_follow_up_is_closed(setting, officer_county_north):
    close_follow_up(actor=officer_county_north, follow_up_id=setting.follow_up.pk, outcome="not_needed")

    with pytest.raises(NotFound):
        record_care_service(actor=setting.staff, elder_id=setting.elder.pk, data=service_input())

    assert CareService.objects.count() == 0


def test_the_same_client_id_stores_once(setting, visitor_north):
    client_id = uuid.uuid4()

    first, created = record_care_service(
        actor=visitor_north, elder_id=setting.elder.pk, data=service_input(client_id=client_id)
    )
    again, created_again = record_care_service(
        actor=visitor_north, elder_id=setting.elder.pk, data=service_input(client_id=client_id, content="另一次")
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert CareService.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.CARE_SERVICE_RECORDED).count() == 1


def test_a_client_id_used_for_another_elder_is_refused(setting, officer_county_north):
    client_id = uuid.uuid4()
    record_care_service(actor=officer_county_north, elder_id=setting.elder.pk, data=service_input(client_id=client_id))
    before = state_of_everything()

    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north, elder_id=setting.other_elder.pk, data=service_input(client_id=client_id)
        )

    assert refused.value.errors[0].message == "该记录编号已用于其他老人"
    assert state_of_everything() == before


# --- bad input: a clear Chinese error, nothing changed ------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"server_signature": None, "seal": None}, "server_signature", "请服务人员签字，或上传服务机构的印章图片"),
        (
            {"satisfaction": "ok"},
            "satisfaction",
            "请选择老年人满意度：非常满意、满意、基本满意、不满意、非常不满意",
        ),
        ({"served_on": None}, "served_on", "请填写服务日期"),
        ({"content": "  "}, "content", "请填写关爱服务情况（做了什么）"),
        ({"server_name": ""}, "server_name", "请填写服务人员姓名"),
        ({"server_signature": b"GIF89a not really"}, "server_signature", "服务人员签名不是有效的PNG或JPEG图片"),
        ({"server_signature": None, "seal": png()[:60]}, "seal", "印章图片不是有效的PNG或JPEG图片"),
        ({"served_on": dt.date(2025, 2, 28)}, "served_on", "服务日期不能早于老人的登记日期"),
    ],
    ids=[
        "no-signature-or-seal",
        "satisfaction",
        "no-date",
        "no-content",
        "no-server",
        "bad-image",
        "cut-seal",
        "early",
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(setting, officer_county_north, changes, field, message):
    before = state_of_everything()

    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north,
            elder_id=setting.elder.pk,
            data=service_input(follow_up_id=setting.follow_up.pk, **changes),
        )

    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message)]
    assert state_of_everything() == before


def test_a_future_date_is_refused(setting, officer_county_north):
    before = state_of_everything()

    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north,
            elder_id=setting.elder.pk,
            data=service_input(served_on=local_today() + dt.timedelta(days=1)),
        )

    assert [(e.field, e.message) for e in refused.value.errors] == [("served_on", "服务日期不能晚于今天")]
    assert state_of_everything() == before


def test_a_follow_up_no_longer_live_is_refused(setting, officer_county_north):
    close_follow_up(actor=officer_county_north, follow_up_id=setting.follow_up.pk, outcome="not_needed")
    before = state_of_everything()

    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north,
            elder_id=setting.elder.pk,
            data=service_input(follow_up_id=setting.follow_up.pk),
        )

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("follow_up_id", "这条跟进事项当前为“已关闭”，不能再以关爱服务办结")
    ]
    assert state_of_everything() == before


def test_a_follow_up_of_another_elder_is_refused(setting, officer_county_north):
    before = state_of_everything()

    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north,
            elder_id=setting.other_elder.pk,
            data=service_input(follow_up_id=setting.follow_up.pk),
        )

    assert [(e.field, e.message) for e in refused.value.errors] == [("follow_up_id", "没有找到这位老人的这条跟进事项")]
    assert state_of_everything() == before


def test_a_follow_up_nobody_was_given_yet_is_refused_by_the_follow_up_rules(setting, officer_county_north):
    # given a follow-up still waiting for an owner
    waiting = open_follow_up(
        actor=officer_county_north, elder_id=setting.elder.pk, data=FollowUpInput(kind="other", title="核实情况")
    )
    before = state_of_everything()

    # when a service would finish it
    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north, elder_id=setting.elder.pk, data=service_input(follow_up_id=waiting.pk)
        )

    # then the follow-up's own lifecycle refuses, and the service is not kept either
    assert refused.value.message == "这条跟进事项当前为“待分派”，不能办结"
    assert state_of_everything() == before


def test_an_elder_out_of_scope_looks_missing(setting, officer_county_south):
    before = state_of_everything()

    with pytest.raises(NotFound):
        record_care_service(actor=officer_county_south, elder_id=setting.elder.pk, data=service_input())
    with pytest.raises(NotFound):
        record_care_service(actor=officer_county_south, elder_id=999999, data=service_input())

    assert state_of_everything() == before


def test_a_provider_not_serving_the_elder_is_refused(setting, officer_county_north, officer_county_south):
    elsewhere = create_provider(
        actor=officer_county_south,
        data=ProviderInput(
            name="博爱县养老服务中心",
            category="elder_care",
            kinds=["daily_care"],
            region_code="410822",
            contact_name="王",
            contact_phone="13800000000",
        ),
    )

    with pytest.raises(ValidationFailed) as refused:
        record_care_service(
            actor=officer_county_north, elder_id=setting.elder.pk, data=service_input(provider_id=elsewhere.pk)
        )

    assert refused.value.errors[0].message == "这家服务机构不在老人所在区域服务，或已停用"
    assert CareService.objects.count() == 0


# --- who sees them ------------------------------------------------------------------------------


def test_care_services_are_seen_in_scope_by_the_paired_visitor_and_the_providers_staff(
    setting, officer_county_north, visitor_north, supervisor_north, officer_county_south, worker_village_north
):
    # given one service for each elder, the first through the provider
    mine, _ = record_care_service(
        actor=setting.staff, elder_id=setting.elder.pk, data=service_input(follow_up_id=setting.follow_up.pk)
    )
    other, _ = record_care_service(actor=officer_county_north, elder_id=setting.other_elder.pk, data=service_input())

    # then
    assert set(care_services_visible_to(officer_county_north)) == {mine, other}
    assert set(care_services_visible_to(supervisor_north)) == {mine, other}
    assert set(care_services_visible_to(worker_village_north)) == {mine}
    assert set(care_services_visible_to(visitor_north)) == {mine}
    assert set(care_services_visible_to(setting.staff)) == {mine}
    assert list(care_services_visible_to(officer_county_south)) == []


# --- pages ----------------------------------------------------------------------------------------


def test_the_phone_page_offers_the_follow_up_it_came_from(setting, as_user):
    response = as_user(setting.staff).get(
        f"/care/elders/{setting.elder.pk}/care-services/new/?follow_up={setting.follow_up.pk}"
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{setting.follow_up.pk}" selected>需要助浴服务' in text
    assert f'<option value="{setting.provider.pk}" selected>武陟县颐养居家养老服务中心' in text
    assert 'data-signature="server_signature"' in text and "tanfang/signature-pad.js" in text


def test_the_phone_page_records_a_drawn_signature_and_goes_back_to_the_follow_up(setting, as_user):
    # when
    response = as_user(setting.staff).post(
        f"/care/elders/{setting.elder.pk}/care-services/new/",
        {
            "client_id": str(uuid.uuid4()),
            "follow_up": str(setting.follow_up.pk),
            "provider": str(setting.provider.pk),
            "served_on": local_today().isoformat(),
            "content": "上门助浴",
            "server_name": "周敏",
            "server_signature": data_url(png()),
            "satisfaction": "satisfied",
        },
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/care/follow-ups/{setting.follow_up.pk}/"
    service = CareService.objects.get()
    assert (service.satisfaction, bytes(service.server_signature or b"")) == ("satisfied", png())
    assert FollowUp.objects.get().state == FollowUpState.DONE


def test_the_phone_page_shows_what_is_wrong_and_keeps_what_was_typed(setting, as_user):
    response = as_user(setting.staff).post(
        f"/care/elders/{setting.elder.pk}/care-services/new/",
        {"served_on": local_today().isoformat(), "content": "上门助浴", "server_name": "周敏", "satisfaction": "great"},
    )

    text = response.content.decode()
    assert response.status_code == 422
    assert "请服务人员签字，或上传服务机构的印章图片" in text
    assert "请选择老年人满意度" in text
    assert "上门助浴" in text
    assert CareService.objects.count() == 0


def test_the_elder_page_lists_its_care_services_and_the_detail_shows_one(setting, visitor_north, as_user):
    service, _ = record_care_service(actor=visitor_north, elder_id=setting.elder.pk, data=service_input())
    client = as_user(visitor_north)

    listing = client.get(f"/care/elders/{setting.elder.pk}/care-services/").content.decode()
    detail = client.get(f"/care/care-services/{service.pk}/").content.decode()

    assert "第1次" in listing and "非常满意" in listing
    assert "上门助浴一次，修剪指甲" in detail and "data:image/png;base64," in detail


# --- API ------------------------------------------------------------------------------------------


def api_body(elder: Elder, **changes: Any) -> dict[str, Any]:
    return {
        "elder_id": elder.pk,
        "served_on": (local_today() - dt.timedelta(days=1)).isoformat(),
        "content": "电话慰问并送药上门",
        "server_name": "周敏",
        "server_signature": data_url(png()),
        "satisfaction": "satisfied",
        "client_id": "0c1e5b1a-0000-4000-8000-0000000000c1",
    } | changes


def test_the_api_records_once_and_answers_a_replay_with_the_first(setting, as_user):
    client = as_user(setting.staff)
    body = api_body(setting.elder, follow_up_id=setting.follow_up.pk)

    first = client.post("/api/v1/care-services", body, content_type="application/json")
    again = client.post("/api/v1/care-services", body, content_type="application/json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["number"] == 1 and first.json()["signed"] is True
    assert first.json()["provider_name"] == "武陟县颐养居家养老服务中心"
    assert FollowUp.objects.get().state == FollowUpState.DONE


def test_the_api_names_bad_fields_in_chinese(setting, officer_county_north, as_user):
    client = as_user(officer_county_north)

    bad_level = client.post(
        "/api/v1/care-services", api_body(setting.elder, satisfaction="ok"), content_type="application/json"
    )
    unsigned = client.post(
        "/api/v1/care-services", api_body(setting.elder, server_signature=None), content_type="application/json"
    )
    not_base64 = client.post(
        "/api/v1/care-services",
        api_body(setting.elder, seal="@@@", server_signature=None),
        content_type="application/json",
    )

    assert bad_level.status_code == unsigned.status_code == not_base64.status_code == 422
    assert bad_level.json()["errors"][0]["field"] == "satisfaction"
    assert "very_satisfied" in bad_level.json()["errors"][0]["message"]
    assert unsigned.json()["errors"] == [
        {"field": "server_signature", "message": "请服务人员签字，或上传服务机构的印章图片"}
    ]
    assert not_base64.json()["errors"] == [{"field": "seal", "message": "印章图片无法解码（应为 base64）"}]
    assert CareService.objects.count() == 0


def test_the_api_refuses_an_elder_of_another_county_as_missing(setting, officer_county_south, as_user):
    response = as_user(officer_county_south).post(
        "/api/v1/care-services", api_body(setting.elder, server_signature="@@@"), content_type="application/json"
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到该记录"}
    assert CareService.objects.count() == 0


def test_the_api_lists_by_elder_and_dates(setting, officer_county_north, officer_county_south, as_user):
    # given
    today = local_today()
    for elder, days_ago in [(setting.elder, 10), (setting.elder, 2), (setting.other_elder, 2)]:
        record_care_service(
            actor=officer_county_north,
            elder_id=elder.pk,
            data=service_input(served_on=today - dt.timedelta(days=days_ago)),
        )
    since = (today - dt.timedelta(days=5)).isoformat()

    # when
    found = as_user(officer_county_north).get(f"/api/v1/care-services?elder={setting.elder.pk}&since={since}").json()
    everything = as_user(officer_county_north).get("/api/v1/care-services").json()
    outside = as_user(officer_county_south).get("/api/v1/care-services").json()

    # then
    assert [(s["elder_name"], s["number"]) for s in found["items"]] == [("张桂兰", 2)]
    assert len(everything["items"]) == 3
    assert outside["items"] == []


# --- demo data -------------------------------------------------------------------------------------


def test_the_demo_registers_every_category_with_contracts_and_rates_care_services(setting, tree, officer_county_north):
    # given a visit of the elder a week ago
    submit_record(
        actor=officer_county_north,
        elder=setting.elder,
        data=RecordInput(
            client_id=uuid.uuid4(),
            method="phone",
            occurred_at=now() - dt.timedelta(days=7),
            answers=ANSWERS,
        ),
    )

    # when the demo runs twice
    first = seed_care(county=tree.wuzhi, seed=7)
    again = seed_care(county=tree.wuzhi, seed=7)

    # then every category serves the county (the elder-care centre registered already is kept), last
    # year's contracts have expired, and the elder's service is rated
    assert (first.providers, first.contracts, first.services) == (4, 5, 1)
    assert (again.providers, again.contracts, again.services) == (0, 0, 0)
    categories = set(Provider.objects.filter(region=tree.wuzhi).values_list("category", flat=True))
    assert categories == {"elder_care", "medical", "training", "social_work"}
    states = [contract_state(c) for c in ProviderContract.objects.all()]
    assert states.count("expired") == 2 and states.count("active") == 3
    service = CareService.objects.get(elder=setting.elder)
    assert service.satisfaction in Satisfaction.values
    assert service.provider is not None and (service.server_signature or service.seal)
    assert (
        Provider.objects.get(name="武陟县颐养居家养老服务中心", region=tree.wuzhi)
        .staff.filter(username="provider")
        .exists()
    )


def test_a_nul_in_the_text_is_dropped_rather_than_failing_the_write(setting, officer_county_north, as_user):
    # (PostgreSQL keeps no NUL in text)
    response = as_user(officer_county_north).post(
        "/api/v1/care-services",
        api_body(setting.elder, content="上门\x00助浴", remarks="\x00", client_id=None),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert (response.json()["content"], response.json()["remarks"]) == ("上门助浴", "")
