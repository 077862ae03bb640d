"""Recording a visit on its form: stored once, numbered, checked, corrected, flagged, reviewed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from PIL import Image

from tanfang.audit.models import AuditEvent
from tanfang.core import images
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.time import LOCAL_TZ, now
from tanfang.devtools.factories import make_elder, month_due
from tanfang.elders.models import DueRefresh, Elder
from tanfang.records.models import FormTemplate, ReviewState, VisitPhoto, VisitRecord
from tanfang.records.services import Checkin, load_template, review_record, submit_record, template_for
from tanfang.records.tests.helpers import JIANSHE, daytime, jpeg, png, record_input
from tanfang.schedule.models import ElderDue
from tanfang.schedule.services import refresh_queued, save_policy
from tanfang.visits.models import Visit


def stored() -> tuple[int, int, int]:
    return Visit.objects.count(), VisitRecord.objects.count(), VisitPhoto.objects.count()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# Pinned: the test asserts "visited this month" of a visit made this morning, which just after
# midnight on the 1st was last month.
MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)


@time_machine.travel(MID_MONTH, tick=True)
def test_a_paired_visitor_records_a_full_home_visit(paired):
    # given a visitor paired with 张桂兰
    data = record_input()

    # when
    visit, created = submit_record(actor=paired.user, elder=paired.elder, data=data)

    # then
    record = VisitRecord.objects.get(pk=visit.pk)
    assert created and visit.visitor == paired.visitor and visit.recorded_by == paired.user
    assert record.template.code == "henan-2023" and record.template.version == 1
    assert record.number == 1
    assert record.answers["illness"] == {"option": "serious", "text": "高血压"}
    assert record.findings == ["mobility", "illness", "water_gas", "needs"]
    assert bytes(record.elder_signature or b"").startswith(b"\x89PNG")
    assert visit.minutes == 30  # from check-in to submission
    assert record.review_state == ReviewState.NONE  # the elder's home is not known: nothing to compare
    assert DueRefresh.objects.filter(elder=paired.elder).exists()  # queued in the same transaction
    refresh_queued(elder_ids=[paired.elder.pk])
    assert month_due(paired.elder).visited
    event = AuditEvent.objects.get(action="visit.recorded")
    assert event.details["visit"] == visit.pk and event.details["findings"] == record.findings


def test_visits_are_numbered_per_elder_and_attempts_are_not_visits(paired):
    first, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    attempt, _ = submit_record(
        actor=paired.user,
        elder=paired.elder,
        data=record_input(outcome="nobody_home", answers={}, elder_signature=None, note="敲门无人应"),
    )
    second, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(method="phone"))

    assert first.record.number == 1 and second.record.number == 2
    assert VisitRecord.objects.get(pk=attempt.pk).number is None
    assert not attempt.counts and attempt.note == "敲门无人应"


def test_an_attempt_needs_its_reason(paired):
    # Given an attempt sent without saying why the elder was not seen
    for outcome in ("nobody_home", "in_hospital", "refused"):
        error = _refused(paired, outcome=outcome, answers={}, elder_signature=None, note="  ")
        # Then it is refused, on the note, in Chinese
        assert [(e.field, e.message) for e in error.errors] == [
            ("note", "未能探访时请写明原因（如敲门无人应、住院的医院）")
        ]
    moved = _refused(paired, outcome="moved", answers={}, elder_signature=None)
    assert [e.message for e in moved.errors] == ["老人已搬离时请说明去向或情况"]


def test_an_attempt_alone_leaves_the_month_owed(paired):
    submit_record(
        actor=paired.user,
        elder=paired.elder,
        data=record_input(outcome="in_hospital", answers={}, elder_signature=None, note="在县医院住院"),
    )
    refresh_queued()

    due = ElderDue.objects.get(elder=paired.elder)
    assert not month_due(paired.elder).visited and due.deadline is not None


def test_the_same_submission_twice_is_stored_once(paired):
    data = record_input()

    first, created_first = submit_record(actor=paired.user, elder=paired.elder, data=data)
    again, created_again = submit_record(actor=paired.user, elder=paired.elder, data=data)

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert stored() == (1, 1, 0)
    assert AuditEvent.objects.filter(action="visit.recorded").count() == 1


def test_a_client_id_used_for_another_elder_is_refused(paired):
    other = make_elder(paired.officer, "李秀英", JIANSHE, sequence=43, registered_on=dt.date(2025, 3, 1))
    from tanfang.visitors.services import pair

    pair(actor=paired.officer, elder=other, visitor=paired.visitor)
    data = record_input()
    submit_record(actor=paired.user, elder=paired.elder, data=data)

    with pytest.raises(ValidationFailed) as error:
        submit_record(actor=paired.user, elder=other, data=data)

    assert error.value.errors[0].message == "该记录编号已用于其他老人"


def _refused(paired, **changes) -> ValidationFailed:
    before = stored()
    with pytest.raises(ValidationFailed) as error:
        submit_record(actor=paired.user, elder=paired.elder, data=record_input(**changes))
    assert stored() == before
    assert not AuditEvent.objects.filter(action="visit.recorded").exists()
    return error.value


def test_a_visit_in_the_future_is_refused(paired):
    error = _refused(paired, occurred_at=now() + dt.timedelta(hours=2))

    assert [(e.field, e.message) for e in error.errors] == [("occurred_at", "探访时间不能晚于现在")]


def test_a_visit_before_the_elder_was_registered_is_refused(paired):
    error = _refused(paired, occurred_at=dt.datetime(2025, 2, 28, 10, tzinfo=dt.UTC))

    assert error.errors[0].message == "探访日期不能早于老人的登记日期（2025-03-01）"


def test_a_method_the_policy_does_not_count_is_refused(paired):
    error = _refused(paired, method="other")

    assert error.errors[0].field == "method"
    assert error.errors[0].message == "本地探访政策不认可“其他”，可用：上门探访、电话问候、互联网音（视）频探访"


def test_an_answer_code_not_in_the_template_is_refused(paired):
    error = _refused(paired, answers=record_input().answers | {"speech": "excellent"})

    assert error.errors[0].field == "answers.speech"


def test_a_missing_required_item_is_refused(paired):
    answers = {k: v for k, v in record_input().answers.items() if k != "daily_care"}

    error = _refused(paired, answers=answers)

    assert [(e.field, e.message) for e in error.errors] == [("answers.daily_care", "请填写“生活照料”")]


def test_a_signature_that_is_not_an_image_is_refused(paired):
    error = _refused(paired, elder_signature=b"<svg onload=alert(1)>")

    assert [(e.field, e.message) for e in error.errors] == [("elder_signature", "签名：不是有效的图片文件")]


def test_a_home_visit_needs_the_elders_signature_or_a_reason(paired):
    error = _refused(paired, elder_signature=None)

    assert error.errors[0].message == "请老人签字，或填写老人未能签字的原因"
    visit, _ = submit_record(
        actor=paired.user, elder=paired.elder, data=record_input(elder_signature=None, elder_unsigned_reason="手抖")
    )
    assert visit.record.elder_unsigned_reason == "手抖"


def test_a_30_mb_photo_is_refused(paired):
    error = _refused(paired, photos=[jpeg(3), b"\xff\xd8" + b"0" * (30 * 1024 * 1024)])

    assert [(e.field, e.message) for e in error.errors] == [("photos.2", "第2张照片：图片不能超过8MB")]


def _located(seed: int) -> bytes:
    """A phone photo with its EXIF: taken at 35°6'N 113°24'30"E, portrait orientation, a time."""
    image = Image.open(io.BytesIO(jpeg(seed)))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated
    exif[0x0132] = "2026:11:20 10:00:00"
    exif[images.GPS_IFD] = {1: "N", 2: (35.0, 6.0, 0.0), 3: "E", 4: (113.0, 24.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def test_a_photos_location_is_read_then_removed_from_the_stored_file(paired):
    # Given a photo whose EXIF says where it was taken, and one that says nothing
    located, plain = _located(5), jpeg(7)
    assert images.GPS_IFD in Image.open(io.BytesIO(located)).getexif()
    # When both come with a visit
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(photos=[located, plain]))
    first, second = VisitPhoto.objects.filter(visit=visit).order_by("pk")
    # Then the position is kept on the photo's row, and the stored file has no location left
    assert (first.latitude, first.longitude) == (35.1, 113.408333)
    with first.image.open("rb") as stored_file:
        content = stored_file.read()
    exif = Image.open(io.BytesIO(content)).getexif()
    assert images.GPS_IFD not in exif and b"GPS" not in content
    assert exif[0x0112] == 6 and exif[0x0132] == "2026:11:20 10:00:00"  # the rest of the EXIF stays
    assert first.sha256 == hashlib.sha256(content).hexdigest() and first.size == len(content)
    assert first.phash == images.difference_hash(located)  # the same picture: still found if sent twice
    # And a photo without a location is stored as it came
    with second.image.open("rb") as stored_file:
        assert stored_file.read() == plain
    assert (second.latitude, second.longitude) == (None, None)


def test_a_southern_western_position_is_negative_and_nonsense_is_none():
    assert images._degrees((33.0, 30.0, 0.0), "S") == -33.5
    assert images._degrees((70.0, 15.0, 0.0), "W") == -70.25
    assert images._degrees((400.0, 0.0, 0.0), "N") is None
    assert images._degrees("35", "N") is None


def test_a_record_for_an_elder_outside_the_pairing_is_refused(paired):
    stranger = make_elder(paired.officer, "赵大爷", JIANSHE, sequence=45)
    before = stored()

    with pytest.raises(PermissionDenied) as error:
        submit_record(actor=paired.user, elder=stranger, data=record_input())

    assert error.value.message == "您没有与这位老人结对，不能记录对其的探访"
    assert stored() == before


def test_an_elder_of_another_county_is_not_found(paired, officer_county_south):
    with pytest.raises(NotFound):
        submit_record(actor=officer_county_south, elder=paired.elder, data=record_input())


def test_a_visitors_home_visit_needs_the_visitors_own_signature(paired):
    # Given a home visit the visitor records without signing
    error = _refused(paired, visitor_signature=None)
    # Then it is refused, in Chinese, on the signature
    assert [(e.field, e.message) for e in error.errors] == [("visitor_signature", "上门探访请探访人员本人签字")]
    # But a phone visit, and an attempt, need none
    for changes in ({"method": "phone"}, {"outcome": "nobody_home", "note": "敲门无人应", "answers": {}}):
        visit, created = submit_record(
            actor=paired.user, elder=paired.elder, data=record_input(visitor_signature=None, **changes)
        )
        assert created and visit.record.visitor_signature is None


def test_a_paper_record_entered_by_an_officer_needs_no_visitor_signature(paired):
    visit, created = submit_record(
        actor=paired.officer,
        elder=paired.elder,
        data=record_input(visitor_id=paired.visitor.pk, visitor_signature=None, entered_by_name="张股长"),
    )
    assert created and visit.visitor == paired.visitor  # the paper form carries the visitor's own signature


def test_an_officer_enters_a_paper_record_for_a_paired_visitor(paired):
    visit, _ = submit_record(
        actor=paired.officer,
        elder=paired.elder,
        data=record_input(visitor_id=paired.visitor.pk, entered_by_name="张股长", entry_signature=png(pattern=2)),
    )

    assert visit.visitor == paired.visitor and visit.recorded_by == paired.officer
    assert visit.record.entered_by_name == "张股长"


def test_corrections_during_the_visit_reach_the_registry_with_the_visit_as_source(paired):
    data = record_input(
        registry_confirmed=True,
        corrections={
            "drinking_water_safe": False,
            "contacts": [{"name": "王强", "relation": "儿子", "phone": "13900005678"}, {"name": "刘芳", "phone": ""}],
        },
    )

    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=data)

    elder = Elder.objects.get(pk=paired.elder.pk)
    assert elder.drinking_water_safe is False
    assert [c.name for c in elder.contacts.order_by("position")] == ["王强", "刘芳"]
    event = AuditEvent.objects.get(action="elder.updated")
    assert event.details == {"source": "visit", "visit": visit.pk}
    assert set(event.changes) >= {"drinking_water_safe", "contacts"}
    assert sorted(visit.record.corrections) == sorted(event.changes)


def test_a_bad_correction_stores_nothing_of_the_visit(paired):
    error = _refused(paired, corrections={"phone": "12345"})

    assert error.errors[0].field == "corrections.phone"


def test_who_the_elder_is_cannot_be_corrected_during_a_visit(paired):
    error = _refused(paired, corrections={"name": "张桂芝"})

    assert [(e.field, e.message) for e in error.errors] == [("corrections.name", "探访时不能更正此项")]


def test_a_home_visit_far_from_the_known_home_waits_for_review(paired):
    Elder.objects.filter(pk=paired.elder.pk).update(home_latitude=35.1, home_longitude=113.4)
    moment = now() - dt.timedelta(minutes=30)
    far = Checkin(at=moment, latitude=35.12, longitude=113.4, accuracy_m=15)  # 2.2 km north

    visit, _ = submit_record(
        actor=paired.user, elder=Elder.objects.get(pk=paired.elder.pk), data=record_input(checkin=far)
    )

    record = VisitRecord.objects.get(pk=visit.pk)
    assert record.review_state == ReviewState.PENDING
    assert [f["code"] for f in record.flags] == ["far_from_home"] and record.flags[0]["metres"] > 2000


def test_the_first_home_visit_may_set_where_the_home_is(paired):
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(set_home_location=True))

    elder = Elder.objects.get(pk=paired.elder.pk)
    assert (elder.home_latitude, elder.home_longitude) == (Decimal("35.1"), Decimal("113.4"))
    assert AuditEvent.objects.get(action="elder.updated").details["source"] == "visit"


def test_one_photo_for_two_elders_is_flagged(paired):
    other = make_elder(paired.officer, "李秀英", JIANSHE, sequence=43, registered_on=dt.date(2025, 3, 1))
    from tanfang.visitors.services import pair

    pair(actor=paired.officer, elder=other, visitor=paired.visitor)
    photo = jpeg(5)
    first, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(photos=[photo]))
    second, _ = submit_record(
        actor=paired.user, elder=other, data=record_input(photos=[photo], occurred_at=daytime(hours_ago=2))
    )

    record = VisitRecord.objects.get(pk=second.pk)
    assert {"code": "photo_reused", "visits": [first.pk]} in record.flags
    assert VisitRecord.objects.get(pk=first.pk).review_state == ReviewState.NONE


@time_machine.travel(MID_MONTH, tick=True)
def test_a_rejected_visit_stops_counting_and_the_review_is_audited(paired, officer_township_north):
    visit, _ = submit_record(
        actor=paired.user,
        elder=paired.elder,
        data=record_input(checkin=Checkin(at=now() - dt.timedelta(minutes=30))),
    )
    record = VisitRecord.objects.get(pk=visit.pk)
    assert record.review_state == ReviewState.PENDING  # a home visit without a position
    refresh_queued()
    assert month_due(paired.elder).visited

    with pytest.raises(ValidationFailed) as error:
        review_record(actor=officer_township_north, record=record, outcome="rejected")
    assert error.value.errors[0].message == "更正或不予认可时请写明理由"

    review_record(actor=officer_township_north, record=record, outcome="rejected", note="老人说当天没人来")

    visit.refresh_from_db()
    assert visit.rejected and not visit.counts
    refresh_queued()
    assert not month_due(paired.elder).visited
    event = AuditEvent.objects.get(action="visit.reviewed")
    assert event.changes["rejected"] == {"old": False, "new": True}
    assert event.actor_id == officer_township_north.pk


def test_a_reviewer_corrects_the_method(paired, officer_township_north):
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(checkin=None))

    review_record(
        actor=officer_township_north, record=visit.record, outcome="corrected", method="phone", note="实为电话问候"
    )

    visit.refresh_from_db()
    assert visit.method == "phone" and not visit.rejected
    assert VisitRecord.objects.get(pk=visit.pk).review_state == "corrected"


def test_visitors_and_other_counties_cannot_review(paired, officer_county_south):
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(checkin=None))

    for actor in (paired.user, officer_county_south):
        with pytest.raises(NotFound):
            review_record(actor=actor, record=visit.record, outcome="confirmed")


def test_a_province_loads_its_own_form_without_code(paired, tree):
    document = json.loads(
        (Path(__file__).resolve().parent.parent / "form_templates" / "hubei-2022.json").read_text(encoding="utf-8")
    )
    template = load_template(actor=None, document=document, region=tree.wuzhi)
    again = load_template(actor=None, document=document, region=tree.wuzhi)

    visit, _ = submit_record(
        actor=paired.user,
        elder=paired.elder,
        data=record_input(
            answers={
                "health": "good",
                "living_security": "good",
                "living_environment": "fair",
                "fire_safety": {"option": "hazard", "text": "煤炉无烟囱"},
                "family_affection": "good",
            }
        ),
    )

    assert again.pk == template.pk and FormTemplate.objects.filter(code="hubei-2022").count() == 1
    assert template_for(paired.elder.region_path) == template
    assert template_for(tree.bajie.path).code == "henan-2023"
    assert visit.record.template == template and visit.record.findings == ["fire_safety"]


def test_a_new_version_of_a_template_leaves_old_records_on_theirs(paired):
    old = template_for(paired.elder.region_path)
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    document = dict(old.definition) | {"name": "特殊困难老年人探访关爱服务记录表（河南省，修订）"}

    newer = load_template(actor=None, document=document)

    assert (newer.code, newer.version) == ("henan-2023", 2)
    assert template_for(paired.elder.region_path) == newer
    assert VisitRecord.objects.get(pk=visit.pk).template == old


def test_a_broken_template_is_refused_in_chinese():
    with pytest.raises(ValidationFailed) as error:
        load_template(actor=None, document={"code": "x1", "name": "坏", "sections": []})

    assert "至少要有一个部分" in error.value.errors[0].message


def test_client_ids_are_uuids():
    assert isinstance(record_input().client_id, uuid.UUID)


def test_a_policy_change_applies_to_the_very_next_submission(paired, officer_county_north):
    # given: a phone call counts, and this process has the policies in its cache
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(method="phone"))

    # when: the county stops counting phone calls
    save_policy(actor=officer_county_north, region_code="410823", values={"count_phone": False})

    # then
    with pytest.raises(ValidationFailed) as error:
        submit_record(actor=paired.user, elder=paired.elder, data=record_input(method="phone"))
    assert error.value.errors[0].message == "本地探访政策不认可“电话问候”，可用：上门探访、互联网音（视）频探访"
