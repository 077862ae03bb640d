"""The recording page, a record's page, the elder's history and the review queue."""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from PIL import Image

from tanfang.notifications.models import InboxMessage
from tanfang.records.models import VisitRecord
from tanfang.records.services import submit_record
from tanfang.records.tests.helpers import FULL_ANSWERS, daytime, png, record_input
from tanfang.visits.models import Visit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def form(**changes) -> dict:
    values = {
        "client_id": str(uuid.uuid4()),
        "method": "home",
        "outcome": "visited",
        "occurred_at": daytime().strftime("%Y-%m-%dT%H:%M"),
        "elder_signature": "data:image/png;base64," + base64.b64encode(png()).decode(),
        "visitor_signature": "data:image/png;base64," + base64.b64encode(png(pattern=1)).decode(),
        "registry_confirmed": "on",
    }
    for code, answer in FULL_ANSWERS.items():
        if isinstance(answer, str):
            values[f"a-{code}" if code not in ("needs", "suggestions") else f"a-{code}-text"] = answer
        else:
            values[f"a-{code}"] = answer["option"]
            values[f"a-{code}-text"] = answer["text"]
    return values | changes


def test_the_page_shows_every_item_with_last_times_answer(paired, as_user):
    submit_record(actor=paired.user, elder=paired.elder, data=record_input())

    page = as_user(paired.user).get(f"/records/elders/{paired.elder.pk}/new/").content.decode()

    labels = (
        "家庭成员 语言表达能力 行动能力 疾病情况 精神状态 住房安全 用电安全 用水用气安全 经济状况 家庭赡养 生活照料"
    )
    for label in [*labels.split(), "老年人服务需求", "实施关爱服务建议"]:
        assert label in page
    assert "（上次：严重（高血压））" in page
    assert "（上次：较差）" in page  # mobility
    assert "被探访人（签字）" in page and "探访人员（签字）" in page
    assert "信息录入人（签字）" not in page  # the visitor types it in person


def test_posting_the_page_stores_the_visit_and_sends_to_its_record(paired, as_user):
    client = as_user(paired.user)
    values = form(fix_contact_name="王强", fix_contact_relation="儿子", fix_contact_phone="13900005678",
                  fix_drinking_water_safe="no")  # fmt: skip

    response = client.post(f"/records/elders/{paired.elder.pk}/new/", values)
    again = client.post(f"/records/elders/{paired.elder.pk}/new/", values)

    visit = Visit.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/records/visits/{visit.pk}/?saved={paired.elder.pk}"
    )
    assert again.status_code == 302 and Visit.objects.count() == 1
    record = VisitRecord.objects.get()
    assert record.answers["illness"] == {"option": "serious", "text": "高血压"}
    assert record.registry_confirmed and record.corrections == ["drinking_water_safe"]
    detail = client.get(response["Location"]).content.decode()
    assert f'data-saved-elder="{paired.elder.pk}"' in detail
    assert 'href="/worklist/" data-testid="back-to-worklist">返回我的探访</a>' in detail  # on to the next elder
    assert "返回我的探访" not in client.get(f"/records/visits/{visit.pk}/").content.decode()  # only just saved
    assert "严重（高血压）" in detail


def test_items_with_several_answers_keep_every_box_ticked(paired, as_user):
    # Given the page, with two boxes of "services needed" ticked and one of "assistance received"
    client = as_user(paired.user)
    page = client.get(f"/records/elders/{paired.elder.pk}/new/").content.decode()
    assert 'type="checkbox" name="a-need_kinds"' in page and "（可多选）" in page
    values = form() | {"a-need_kinds": ["emotional", "daily_care"], "a-assistance": ["dibao"]}
    # When it is posted
    response = client.post(f"/records/elders/{paired.elder.pk}/new/", values)
    # Then the record holds them all, in the template's order
    assert response.status_code == 302
    record = VisitRecord.objects.get()
    assert record.answers["need_kinds"] == {"options": ["daily_care", "emotional"]}
    assert record.answers["assistance"] == {"options": ["dibao"]}
    # And the page shown again for a fix keeps the boxes ticked
    again = client.post(
        f"/records/elders/{paired.elder.pk}/new/", values | {"client_id": str(uuid.uuid4()), "a-speech": "x"}
    )
    shown = again.content.decode()
    assert again.status_code == 422
    assert 'value="emotional" checked' in shown and 'value="rescue" checked' not in shown


def test_a_bad_page_submission_is_shown_again_with_chinese_errors_and_nothing_stored(paired, as_user):
    values = form(**{"a-speech": "great", "elder_signature": "data:image/png;base64,aGVsbG8="})
    values.pop("a-daily_care")

    response = as_user(paired.user).post(f"/records/elders/{paired.elder.pk}/new/", values)

    text = response.content.decode()
    assert response.status_code == 422
    assert "“语言表达能力”的选项“great”不在模板中" in text
    assert "请填写“生活照料”" in text
    assert "签名：不是有效的图片文件" in text
    assert values["client_id"] in text  # the same record id is kept for the retry
    assert Visit.objects.count() == 0


def test_an_unpaired_visitor_is_told_why(paired, as_user, officer_county_north):
    from tanfang.devtools.factories import make_elder

    stranger = make_elder(officer_county_north, "赵大爷", "410823001001", sequence=45)

    response = as_user(paired.user).post(f"/records/elders/{stranger.pk}/new/", form())

    assert response.status_code == 404  # another elder of the village looks missing to a visitor
    assert Visit.objects.count() == 0


def test_a_visitor_whose_pairing_ended_is_told_why(paired, as_user, officer_county_north):
    from tanfang.visitors.models import Pairing
    from tanfang.visitors.services import end_pairing

    end_pairing(actor=officer_county_north, pairing=Pairing.objects.get(elder=paired.elder), reason="调岗")

    response = as_user(paired.user).post(f"/records/elders/{paired.elder.pk}/new/", form())

    assert response.status_code == 422
    assert "您没有与这位老人结对，不能记录对其的探访" in response.content.decode()
    assert Visit.objects.count() == 0


def test_the_review_queue_shows_flagged_visits_and_takes_a_decision(paired, as_user, officer_township_north):
    flagged, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(checkin=None))
    client = as_user(officer_township_north)

    queue = client.get("/records/review/").content.decode()
    decided = client.post(f"/records/visits/{flagged.pk}/review/", {"outcome": "rejected", "note": "核实未上门"})

    assert "张桂兰" in queue and "上门探访但手机未报告位置" in queue
    assert decided.status_code == 302
    assert "没有待审核的探访" in client.get("/records/review/").content.decode()
    flagged.refresh_from_db()
    assert flagged.rejected


def test_a_visitor_has_no_review_queue(paired, as_user):
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(checkin=None))

    page = as_user(paired.user).get("/records/review/").content.decode()

    assert "张桂兰" not in page


def test_the_history_lists_visits_and_attempts(paired, as_user):
    submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    submit_record(
        actor=paired.user,
        elder=paired.elder,
        data=record_input(outcome="refused", answers={}, elder_signature=None, note="老人说不需要探访"),
    )

    page = as_user(paired.officer).get(f"/records/elders/{paired.elder.pk}/").content.decode()

    assert "拒绝探访" in page and "第1次" in page


def test_a_village_month_prints_as_one_pdf(paired, as_user):
    submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    month = daytime().strftime("%Y-%m")

    response = as_user(paired.officer).get(f"/records/villages/410823001001/forms.pdf?month={month}")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_command_prints_one_visit_and_a_village_month(paired, tmp_path):
    from django.core.management import CommandError, call_command

    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    one, month = tmp_path / "one.pdf", tmp_path / "month.pdf"

    call_command("print_forms", "--visit", str(visit.pk), "-o", str(one))
    call_command("print_forms", "--village", "410823001001", "--month", daytime().strftime("%Y-%m"), "-o", str(month))

    assert one.read_bytes().startswith(b"%PDF") and month.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="没有探访记录"):
        call_command("print_forms", "--village", "410823001001", "--month", "2020-01", "-o", str(month))
    with pytest.raises(CommandError, match="探访记录 999999 不存在"):
        call_command("print_forms", "--visit", "999999", "-o", str(one))


def test_a_province_loads_its_form_from_the_command_line(tree, tmp_path, capsys):
    from pathlib import Path

    from django.core.management import CommandError, call_command

    source = Path(__file__).resolve().parent.parent / "form_templates" / "hubei-2022.json"
    broken = tmp_path / "broken.json"
    broken.write_text('{"code": "x1", "name": "坏", "sections": []}', encoding="utf-8")

    call_command("form_templates", "load", str(source), "--region", "410823")
    call_command("form_templates", "list")

    out = capsys.readouterr().out
    assert "已加载 hubei-2022 v1" in out and "hubei-2022 v1 410823 启用" in out
    with pytest.raises(CommandError, match="至少要有一个部分"):
        call_command("form_templates", "load", str(broken))


def test_correcting_the_first_contact_on_the_page_keeps_the_others_and_their_phones(paired, as_user):
    from tanfang.elders.inputs import ContactInput
    from tanfang.elders.services import contact_inputs, input_from_elder, update_elder

    data = input_from_elder(paired.elder)
    data.contacts = [ContactInput("王强", "儿子", "13900005678"), ContactInput("王丽", "女儿", "13700001234")]
    update_elder(actor=paired.officer, elder=paired.elder, data=data)

    as_user(paired.user).post(
        f"/records/elders/{paired.elder.pk}/new/",
        form(fix_contact_name="王刚", fix_contact_relation="侄子", fix_contact_phone="13600002222"),
    )

    assert contact_inputs(paired.elder) == [
        ContactInput("王刚", "侄子", "13600002222"),
        ContactInput("王丽", "女儿", "13700001234"),
    ]


def _with_household_and_assistance(paired):
    import datetime as dt

    from tanfang.core.id_numbers import make_citizen_id
    from tanfang.elders.inputs import AssistanceInput, MemberInput
    from tanfang.elders.services import input_from_elder, update_elder

    spouse = make_citizen_id("410823", dt.date(1945, 3, 1), 22)
    data = input_from_elder(paired.elder)
    data.household = [MemberInput("王老汉", "户主", sex="M", health="高血压"), MemberInput("李氏", "配偶", "F", spouse)]
    data.assistance = [AssistanceInput("grassroots", "木城街道", "张主任", "每月上门一次")]
    update_elder(actor=paired.officer, elder=paired.elder, data=data)
    return spouse


def test_the_household_is_corrected_on_the_page_keeping_full_id_numbers(paired, as_user):
    from tanfang.audit.models import AuditEvent
    from tanfang.elders.inputs import MemberInput
    from tanfang.elders.services import household_inputs

    # given: two members, the spouse with an ID number the page shows masked
    spouse = _with_household_and_assistance(paired)
    page = as_user(paired.user).get(f"/records/elders/{paired.elder.pk}/new/").content.decode()
    assert 'value="王老汉"' in page and spouse not in page

    # when: the head's health changes, the spouse is still there, a grandson moved in
    as_user(paired.user).post(
        f"/records/elders/{paired.elder.pk}/new/",
        form(
            **{"hh-0-name": "王老汉", "hh-0-relation": "户主", "hh-0-health": "卧床"},
            **{"hh-1-name": "李氏", "hh-1-relation": "配偶", "hh-1-health": ""},
            **{"hh-new0-name": "王小明", "hh-new0-relation": "孙子", "hh-new0-sex": "M"},
        ),
    )

    # then
    assert household_inputs(paired.elder) == [
        MemberInput("王老汉", "户主", "M", "", "卧床"),
        MemberInput("李氏", "配偶", "F", spouse, ""),
        MemberInput("王小明", "孙子", "M", "", ""),
    ]
    record = VisitRecord.objects.get()
    assert record.corrections == ["household"]
    shown = as_user(paired.user).get(f"/records/visits/{record.pk}/").content.decode()
    assert "更正：家庭成员" in shown
    event = AuditEvent.objects.filter(action="elder.updated").latest("pk")
    assert event.details == {"source": "visit", "visit": record.pk} and "household" in event.changes


def test_assistance_is_corrected_on_the_page_and_a_stopped_one_removed(paired, as_user):
    from tanfang.elders.inputs import AssistanceInput
    from tanfang.elders.services import assistance_inputs

    _with_household_and_assistance(paired)

    as_user(paired.user).post(
        f"/records/elders/{paired.elder.pk}/new/",
        form(
            **{"as-0-unit_type": "grassroots", "as-0-remove": "on"},
            **{"as-new0-unit_type": "volunteer", "as-new0-unit_name": "青年志愿者协会", "as-new0-measures": "每周送菜"},
        ),
    )

    assert assistance_inputs(paired.elder) == [AssistanceInput("volunteer", "青年志愿者协会", "", "每周送菜")]
    assert VisitRecord.objects.get().corrections == ["assistance"]


def test_sending_the_tables_back_unchanged_corrects_nothing(paired, as_user):
    _with_household_and_assistance(paired)

    as_user(paired.user).post(
        f"/records/elders/{paired.elder.pk}/new/",
        form(
            **{"hh-0-name": "王老汉", "hh-0-relation": "户主", "hh-0-health": "高血压"},
            **{"hh-1-name": "李氏", "hh-1-relation": "配偶", "hh-1-health": ""},
            **{"as-0-unit_type": "grassroots", "as-0-unit_name": "木城街道", "as-0-responsible_person": "张主任"},
            **{"as-0-measures": "每月上门一次", "hh-new0-name": "", "as-new0-unit_type": ""},
        ),
    )

    assert VisitRecord.objects.get().corrections == []


def test_a_rejected_visit_is_told_to_the_visitor_in_its_inbox(paired, as_user, officer_township_north):

    flagged, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(checkin=None))

    as_user(officer_township_north).post(
        f"/records/visits/{flagged.pk}/review/", {"outcome": "rejected", "note": "核实未上门"}
    )

    message = InboxMessage.objects.get(user=paired.user)
    assert "张桂兰" in message.body and "未获认可" in message.body and "核实未上门" in message.body
    assert message.link == f"/records/visits/{flagged.pk}/"
    # and the visitor finds it from the bell
    assert 'text-bg-danger">1</span>' in as_user(paired.user).get("/worklist/").content.decode()


def test_a_confirmed_visit_tells_nobody(paired, as_user, officer_township_north):

    flagged, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(checkin=None))

    as_user(officer_township_north).post(f"/records/visits/{flagged.pk}/review/", {"outcome": "confirmed"})

    assert not InboxMessage.objects.exists()


def test_a_visits_photos_show_reduced_to_whoever_may_see_the_visit(paired, as_user, officer_county_south):
    # Given a visit with a large photo, taken with the phone turned (EXIF orientation 6)
    big = Image.new("RGB", (2400, 1600), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    big.save(out, "JPEG", quality=90, exif=exif)
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(photos=[out.getvalue()]))
    photo = visit.photos.get()
    # When the visitor opens the visit, and the reviewing officer too
    for user in (paired.user, paired.officer):
        page = as_user(user).get(f"/records/visits/{visit.pk}/").content.decode()
        assert f'src="/records/photos/{photo.pk}/small.jpg"' in page
        small = as_user(user).get(f"/records/photos/{photo.pk}/small.jpg")
        # Then the photo comes small, upright, and kept private
        assert small.status_code == 200 and small["Content-Type"] == "image/jpeg"
        assert small["Cache-Control"] == "private, max-age=86400"
        shown = Image.open(io.BytesIO(small.content))
        assert shown.size == (427, 640) and len(small.content) < 60_000
    # And an officer of another county finds nothing there
    assert as_user(officer_county_south).get(f"/records/photos/{photo.pk}/small.jpg").status_code == 404
