"""The visit record API: record, replay, read, page, templates, review, the printed form."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from tanfang.records.models import VisitRecord
from tanfang.records.tests.helpers import FULL_ANSWERS, daytime
from tanfang.records.tests.helpers import api_body as body
from tanfang.visits.models import Visit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post(client, elder_id, payload):
    return client.post(f"/api/v1/elders/{elder_id}/visits", payload, content_type="application/json")


def test_a_visitor_records_a_visit_and_a_retry_returns_the_same_one(paired, as_user):
    client = as_user(paired.user)
    payload = body()

    first = post(client, paired.elder.pk, payload)
    again = post(client, paired.elder.pk, payload)

    assert first.status_code == 201, first.content
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()  # the answer built in hand says what a fresh read says
    assert client.get(f"/api/v1/visits/{first.json()['id']}").json() == first.json()
    out = first.json()
    assert out["number"] == 1 and out["template"] == "henan-2023" and out["signed_by_elder"]
    illness = next(a for a in out["answers"] if a["item"] == "illness")
    assert illness == {
        "section": "health",
        "item": "illness",
        "label": "疾病情况",
        "answer": {"option": "serious", "text": "高血压"},
        "text": "严重（高血压）",
        "finding": True,
    }
    assert out["photo_count"] == 1 and out["form_pdf"] == f"/api/v1/visits/{out['id']}/form.pdf"
    assert Visit.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred_at": "2099-01-01T10:00:00+08:00"}, "occurred_at", "探访时间不能晚于现在"),
        ({"answers": FULL_ANSWERS | {"speech": "great"}}, "answers.speech", "“语言表达能力”的选项“great”不在模板中"),
        (
            {"signatures": {"elder": "data:image/png;base64,bm90IGFuIGltYWdl"}},
            "elder_signature",
            "签名：不是有效的图片文件",
        ),
        ({"signatures": {"elder": "这不是base64"}}, "elder_signature", "图片数据无法解码（应为 base64）"),
        ({"method": "other"}, "method", "本地探访政策不认可“其他”，可用：上门探访、电话问候、互联网音（视）频探访"),
        ({"corrections": {"phone": "123"}}, "corrections.phone", None),
    ],
)
def test_bad_input_is_named_in_chinese_and_stores_nothing(paired, as_user, changes, field, message):
    response = post(as_user(paired.user), paired.elder.pk, body(**changes))

    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    if message:
        assert errors[0]["message"] == message
    assert Visit.objects.count() == 0 and VisitRecord.objects.count() == 0


def test_a_30_mb_photo_is_refused_before_it_is_decoded(paired, as_user):
    huge = base64.b64encode(b"\xff\xd8" + bytes(30 * 1024 * 1024)).decode()

    response = post(as_user(paired.user), paired.elder.pk, body(photos=[huge]))

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "photos.1", "message": "第1张照片：图片不能超过8MB"}]
    assert Visit.objects.count() == 0


def test_a_body_over_the_upload_limit_gets_a_chinese_413(paired, as_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = post(as_user(paired.user), paired.elder.pk, body())

    assert response.status_code == 413
    assert "提交的内容过大" in response.json()["message"]


def test_an_unpaired_visitor_is_refused(paired, as_user, officer_county_north):
    from tanfang.devtools.factories import make_elder

    stranger = make_elder(officer_county_north, "赵大爷", "410823001001", sequence=45)

    response = post(as_user(paired.user), stranger.pk, body())

    assert response.status_code == 404  # another elder of the village looks missing to a visitor
    assert response.json() == {"code": "not_found", "message": "未找到该记录"}
    assert Visit.objects.count() == 0


def test_the_elders_visits_come_in_pages_newest_first(paired, as_user):
    client = as_user(paired.user)
    for days in range(5):
        post(client, paired.elder.pk, body(occurred_at=(daytime() - dt.timedelta(days=7 * days)).isoformat()))

    first = client.get(f"/api/v1/elders/{paired.elder.pk}/visits?page_size=2").json()
    last = client.get(f"/api/v1/elders/{paired.elder.pk}/visits?page_size=2&page=3").json()

    assert [v["day"] for v in first["items"]] == sorted([v["day"] for v in first["items"]], reverse=True)
    assert first["has_next"] and not last["has_next"] and len(last["items"]) == 1
    assert first["items"][0]["day"] == daytime().date().isoformat()


def test_one_visit_reads_back_for_the_officer(paired, as_user):
    visit_id = post(as_user(paired.user), paired.elder.pk, body()).json()["id"]

    response = as_user(paired.officer).get(f"/api/v1/visits/{visit_id}")

    assert response.status_code == 200 and response.json()["elder_name"] == "张桂兰"


def test_the_templates_are_listed_as_data(paired, as_user):
    response = as_user(paired.user).get("/api/v1/form-templates?region=410823001001")

    (template,) = response.json()
    assert (template["code"], template["version"]) == ("henan-2023", 1)
    assert template["definition"]["sections"][1]["items"][0]["code"] == "speech"


def test_a_township_officer_reviews_a_flagged_visit(paired, as_user, officer_township_north):
    visit_id = post(as_user(paired.user), paired.elder.pk, body(checkin=None)).json()["id"]

    response = as_user(officer_township_north).post(
        f"/api/v1/visits/{visit_id}/review", {"outcome": "confirmed"}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["review_state"] == "confirmed"
    assert response.json()["flags"] == [{"code": "no_position", "message": "上门探访但手机未报告位置"}]


def test_the_printed_form_is_a_pdf_with_its_chinese_font_embedded(paired, as_user):
    visit_id = post(as_user(paired.user), paired.elder.pk, body()).json()["id"]

    response = as_user(paired.officer).get(f"/api/v1/visits/{visit_id}/form.pdf")

    content = response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert content.startswith(b"%PDF")
    assert b"/FontFile2" in content and b"NotoSansSC" in content  # embedded, not referenced
    pages = content.count(b"/Type /Page\n") + content.count(b"/Type /Page ") + content.count(b"/Type /Page/")
    assert pages >= 2  # two copies
