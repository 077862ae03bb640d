"""Uploading the records a phone kept while offline: each stored once or refused on its own."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import ValidationFailed
from tanfang.devtools.factories import make_elder
from tanfang.elders.models import DueRefresh
from tanfang.records import services
from tanfang.records.models import VisitPhoto, VisitRecord
from tanfang.records.selectors import elders_for_visits
from tanfang.records.services import MAX_BATCH, submit_record
from tanfang.records.tests.helpers import JIANSHE, api_body, daytime, jpeg, record_input
from tanfang.visitors.services import pair
from tanfang.visits.models import Visit

URL = "/api/v1/visits/batch"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def second_elder(paired):
    elder = make_elder(paired.officer, "李秀英", JIANSHE, sequence=43, registered_on=dt.date(2025, 3, 1))
    pair(actor=paired.officer, elder=elder, visitor=paired.visitor, on=dt.date(2025, 3, 1))
    return elder


def upload(client, records):
    return client.post(URL, {"records": records}, content_type="application/json")


def phone_call(elder_id, **changes):
    return api_body(elder_id=elder_id, method="phone", signatures={}, photos=[], checkin=None) | changes


def test_a_phone_uploads_its_kept_records_and_each_is_stored_numbered_and_audited(paired, second_elder, as_user):
    # given three records kept on a phone: two for 张桂兰 (a home visit, then a call), one attempt
    records = [
        api_body(elder_id=paired.elder.pk, occurred_at=daytime(hours_ago=26).isoformat()),
        phone_call(paired.elder.pk),
        api_body(
            elder_id=second_elder.pk, outcome="nobody_home", answers={}, note="敲门无人应", signatures={}, photos=[]
        ),
    ]

    # when
    response = upload(as_user(paired.user), records)

    # then
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["created"], out["duplicates"], out["refused"]) == (3, 0, 0)
    assert [r["status"] for r in out["results"]] == ["created"] * 3
    assert [r["client_id"] for r in out["results"]] == [r["client_id"] for r in records]
    assert [r["number"] for r in out["results"]] == [1, 2, None]  # an attempt is not a visit
    visits = {v.pk: v for v in Visit.objects.select_related("record")}
    first, call, attempt = (visits[r["visit_id"]] for r in out["results"])
    assert first.visitor == paired.visitor and first.recorded_by == paired.user
    assert first.record.answers["illness"] == {"option": "serious", "text": "高血压"}
    assert bytes(first.record.elder_signature or b"").startswith(b"\x89PNG")
    assert VisitPhoto.objects.get().visit == first
    assert call.method == "phone" and attempt.note == "敲门无人应" and not attempt.counts
    events = AuditEvent.objects.filter(action="visit.recorded").order_by("pk")
    assert [e.details["visit"] for e in events] == [first.pk, call.pk, attempt.pk]
    assert set(DueRefresh.objects.values_list("elder_id", flat=True)) == {paired.elder.pk, second_elder.pk}


def test_sending_the_same_batch_again_stores_nothing_more(paired, second_elder, as_user):
    client = as_user(paired.user)
    records = [api_body(elder_id=paired.elder.pk), phone_call(second_elder.pk)]
    first = upload(client, records).json()

    again = upload(client, records)  # the answer was lost on the way back

    assert again.status_code == 200
    out = again.json()
    assert (out["created"], out["duplicates"], out["refused"]) == (0, 2, 0)
    assert [r["visit_id"] for r in out["results"]] == [r["visit_id"] for r in first["results"]]
    assert [r["number"] for r in out["results"]] == [1, 1]
    assert Visit.objects.count() == 2 and VisitRecord.objects.count() == 2
    assert AuditEvent.objects.filter(action="visit.recorded").count() == 2


def test_a_client_id_twice_in_one_batch_is_stored_once(paired, second_elder, as_user):
    record = phone_call(paired.elder.pk)
    other_elder_same_id = phone_call(second_elder.pk, client_id=record["client_id"])

    out = upload(as_user(paired.user), [record, record, other_elder_same_id]).json()

    first, copy, clash = out["results"]
    assert first["status"] == "created" and copy["visit_id"] == first["visit_id"]
    assert clash["status"] == "refused" and clash["errors"][0]["message"] == "该记录编号已用于其他老人"
    assert Visit.objects.count() == 1


def test_a_bad_record_is_refused_in_chinese_and_the_others_are_stored(paired, second_elder, as_user):
    # given a good record among a future one, a malformed one, one for an elder not paired, one for nobody
    stranger = make_elder(paired.officer, "陈老汉", JIANSHE, sequence=44, registered_on=dt.date(2025, 3, 1))
    good = phone_call(paired.elder.pk)
    future = phone_call(second_elder.pk, occurred_at="2099-01-01T10:00:00+08:00")
    malformed = {key: value for key, value in phone_call(second_elder.pk).items() if key != "method"}
    not_paired = phone_call(stranger.pk)
    unknown = phone_call(999_999)

    response = upload(as_user(paired.user), [future, good, malformed, not_paired, unknown])

    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["created"], out["refused"]) == (1, 4)
    future_out, good_out, malformed_out, stranger_out, unknown_out = out["results"]
    assert good_out["status"] == "created"
    assert future_out["errors"] == [{"field": "occurred_at", "message": "探访时间不能晚于现在"}]
    assert malformed_out["errors"] == [{"field": "method", "message": "此项为必填项"}]
    assert malformed_out["code"] == "validation_failed" and malformed_out["message"] == "此项为必填项"
    # an elder of the visitor's own village it is not paired with, and one that does not exist
    # another elder of the visitor's village looks missing, exactly like an unknown one
    assert (stranger_out["code"], stranger_out["message"]) == ("not_found", "未找到该记录")
    assert unknown_out["code"] == "not_found" and unknown_out["message"] == "未找到该记录"
    assert Visit.objects.get().pk == good_out["visit_id"]


def test_a_refused_registry_correction_refuses_only_its_own_record(paired, second_elder, as_user):
    good = phone_call(paired.elder.pk)
    bad = phone_call(second_elder.pk, registry_confirmed=True, corrections={"phone": "123"})

    out = upload(as_user(paired.user), [good, bad]).json()

    assert [r["status"] for r in out["results"]] == ["created", "refused"]
    assert out["results"][1]["errors"][0]["field"] == "corrections.phone"
    assert list(Visit.objects.values_list("elder_id", flat=True)) == [paired.elder.pk]


def test_home_visits_far_apart_minutes_apart_in_one_batch_are_flagged(paired, second_elder, as_user):
    # given two home visits the same visitor claims 10 minutes apart, 30 km from each other
    at = daytime()
    here = api_body(elder_id=paired.elder.pk, occurred_at=at.isoformat())
    there = api_body(
        elder_id=second_elder.pk,
        occurred_at=(at + dt.timedelta(minutes=10)).isoformat(),
        checkin={"at": (at - dt.timedelta(minutes=15)).isoformat(), "latitude": 35.37, "longitude": 113.4},
        photos=[],  # the first's photo again would be flagged as reused as well
    )

    out = upload(as_user(paired.user), [here, there]).json()

    assert out["results"][0]["flags"] == []
    assert out["results"][1]["flags"] == ["too_far_apart"]  # from the first's check-in, stored in the same batch
    record = VisitRecord.objects.get(pk=out["results"][1]["visit_id"])
    assert record.flags[0]["visit"] == out["results"][0]["visit_id"] and record.flags[0]["km"] == 30.0


def test_more_than_fifty_records_are_refused_whole(paired, as_user):
    out = upload(as_user(paired.user), [phone_call(paired.elder.pk) for _ in range(MAX_BATCH + 1)])

    assert out.status_code == 422
    assert out.json()["errors"] == [{"field": "records", "message": "最多 50 项"}]
    assert Visit.objects.count() == 0


def test_a_record_stored_by_another_request_meanwhile_is_answered_as_a_duplicate(paired, second_elder, monkeypatch):
    # given a batch of two, whose second record another request stores after the batch checked it
    first, second = record_input(method="phone"), record_input(method="phone", occurred_at=daytime(hours_ago=1))
    checked = services._checked

    def check_then_race(actor, index, elder, data, own):
        ready = checked(actor, index, elder, data, own)
        if data is second:
            submit_record(actor=paired.user, elder=second_elder, data=record_input(client_id=second.client_id))
        return ready

    monkeypatch.setattr(services, "_checked", check_then_race)

    # when
    results = services.submit_records(actor=paired.user, items=[(paired.elder, first), (second_elder, second)])

    # then the batch falls back to one record at a time: the first is stored, the second was already
    assert [(r.created, r.error) for r in results] == [(True, None), (False, None)]
    assert results[1].visit is not None and results[1].visit.method == "home"  # the racing request's copy
    assert Visit.objects.count() == 2


def test_only_elders_the_actor_may_record_are_found(paired, second_elder, officer_county_south):
    stranger = make_elder(paired.officer, "陈老汉", JIANSHE, sequence=44, registered_on=dt.date(2025, 3, 1))
    ids = [paired.elder.pk, second_elder.pk, stranger.pk, 999_999]

    assert set(elders_for_visits(paired.officer, ids)) == set(ids) - {999_999}  # the county's officer
    assert set(elders_for_visits(officer_county_south, ids)) == set()  # another county sees none
    # a visitor finds the elders it is paired with, and no other of its village
    assert set(elders_for_visits(paired.user, ids)) == {paired.elder.pk, second_elder.pk}
    # and the same without a region of its own
    paired.user.region_assignments.all().delete()
    paired.user.forget_regions()
    assert set(elders_for_visits(paired.user, ids)) == {paired.elder.pk, second_elder.pk}


def test_the_batch_needs_a_log_in(client):
    response = client.post(URL, {"records": [{"client_id": str(uuid.uuid4())}]}, content_type="application/json")

    assert response.status_code == 401


def test_the_service_takes_at_most_fifty_records_at_once(paired):
    items = [(paired.elder, record_input(method="phone")) for _ in range(MAX_BATCH + 1)]

    with pytest.raises(ValidationFailed) as refused:
        services.submit_records(actor=paired.user, items=items)

    assert refused.value.errors[0].message == "一次最多提交50条记录"
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(lambda photo: photo[: len(photo) // 2], "图片文件不完整或已损坏，请重新拍摄或选择", id="cut off"),
        pytest.param(lambda photo: photo[:20] + b"garbage" * 60, "不是有效的图片文件", id="garbled after the header"),
    ],
)
def test_a_damaged_photo_refuses_only_its_own_record_in_chinese(paired, second_elder, as_user, damage, reason):
    # given two records, the second with a photo that did not arrive whole
    broken = base64.b64encode(damage(jpeg(5, size=128))).decode()
    records = [
        phone_call(paired.elder.pk),
        api_body(elder_id=second_elder.pk, photos=[broken]),
    ]

    # when
    response = upload(as_user(paired.user), records)

    # then the batch is answered, the good record stored, the damaged one refused with why
    assert response.status_code == 200, response.content[:500]
    first, second = response.json()["results"]
    assert first["status"] == "created"
    assert second["status"] == "refused"
    assert second["errors"] == [{"field": "photos.1", "message": f"第1张照片：{reason}"}]
    assert not Visit.objects.filter(elder=second_elder).exists()
    assert not VisitPhoto.objects.exists()
