"""An import's uploaded file: encrypted at rest, deleted on commit or after N days, errors for its uploader only."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import io
from types import SimpleNamespace

import pytest
import time_machine
from celery import current_app
from celery.schedules import crontab
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from tanfang.audit.models import AuditEvent
from tanfang.core.crypto import FieldCipher, field_cipher
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import make_citizen_id, mask_id_number, mask_phone
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_user
from tanfang.elders.import_files import open_file, purge_import_files
from tanfang.elders.importing import commit_import, download_error_workbook, preview_import
from tanfang.elders.models import Elder, ImportBatch
from tanfang.elders.tasks import purge_import_files_task
from tanfang.elders.tests.files import roster_csv, roster_xlsx

JIANSHE = "410823001001"
UPLOADED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
GONE = "导入文件已超过保存期限并已删除，请重新上传"


def number(day: int, sequence: int = 21) -> str:
    return make_citizen_id("410823", dt.date(1950, 5, day), sequence)


def raw_file_column(batch: ImportBatch) -> bytes | None:
    """The column as the database holds it, read around the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT content_cipher FROM elders_importbatch WHERE id = %s", [batch.pk])
        (value,) = cursor.fetchone()
    return None if value is None else bytes(value)


def upload(actor, content: bytes, name: str = "台账.csv") -> ImportBatch:
    return preview_import(actor=actor, content=content, file_name=name, source="civil_affairs")


def good_file() -> bytes:
    return roster_csv([("王一", number(1), JIANSHE)])


def bad_file() -> bytes:
    return roster_csv([("王一", number(1), JIANSHE), ("王二", "123", JIANSHE)])


@pytest.fixture
def officer_wuzhi_2(tree):
    """A second officer of the same county: sees every batch the first one uploads."""
    return make_user("officer_wuzhi_2", Role.COUNTY_OFFICER, [tree.wuzhi], display_name="武陟县民政局二")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- encrypted at rest -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_stored_file_is_encrypted_and_still_previews_and_commits(tree, officer_county_north, kind):
    # given a roster naming a known ID number and phone number
    identity = number(1)
    if kind == "csv":
        content, name = roster_csv([("王一", identity, JIANSHE)]), "台账.csv"
    else:
        row = ["王一", "男", identity, "13800138000", JIANSHE, "1组5号", "独居", "王小明", "13912345678"]
        content, name = roster_xlsx([row]), "台账.xlsx"

    # when it is uploaded
    batch = upload(officer_county_north, content, name)

    # then the database holds an SM4-GCM token under the current key, nothing of the file in clear
    raw = raw_file_column(batch)
    assert raw is not None
    assert identity.encode() not in raw and b"13800138000" not in raw
    assert content not in raw and base64.b64encode(content) not in raw
    assert FieldCipher.key_id_of(raw) == field_cipher().current_key_id
    assert open_file(ImportBatch.objects.get(pk=batch.pk)) == content
    # and the preview and the commit work from it
    assert batch.state == ImportBatch.State.PREVIEWED and batch.summary == {"new": 1, "matched": 0, "conflicts": 0}
    result = commit_import(actor=officer_county_north, batch=batch)
    assert result.created == 1 and Elder.objects.get().name == "王一"


def test_a_file_sealed_for_imports_does_not_open_as_another_field(tree, officer_county_north):
    batch = upload(officer_county_north, good_file())

    with pytest.raises(ValueError):
        field_cipher().decrypt(raw_file_column(batch) or b"", context="elders.id_number")


# --- deleted on commit ------------------------------------------------------------------


def test_a_committed_batch_keeps_no_file(tree, officer_county_north):
    # given
    batch = upload(officer_county_north, good_file())

    # when
    commit_import(actor=officer_county_north, batch=batch)

    # then the file went in the commit's transaction, and the commit's audit row says so
    batch.refresh_from_db()
    assert raw_file_column(batch) is None and batch.content_cipher is None
    assert batch.state == ImportBatch.State.COMMITTED
    assert batch.committed_at is not None
    assert batch.file_deleted_at == batch.committed_at and not batch.file_kept
    (event,) = events("elder.import_committed")
    assert event.changes == {"file_deleted_at": {"old": None, "new": batch.committed_at.isoformat()}}


def test_a_failed_commit_keeps_the_file(tree, officer_county_north, officer_county_south):
    # given a batch whose elder another county registers before the commit
    batch = upload(officer_county_north, good_file())
    stored = raw_file_column(batch)
    upload_south = preview_import(
        actor=officer_county_south,
        content=roster_csv([("王一", number(1), "410822001001")]),
        file_name="博爱.csv",
        source="civil_affairs",
    )
    commit_import(actor=officer_county_south, batch=upload_south)

    # when
    with pytest.raises(ValidationFailed):
        commit_import(actor=officer_county_north, batch=batch)

    # then nothing changed: the file is still there to mark its errors
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.PREVIEWED and batch.file_kept
    assert raw_file_column(batch) == stored


def test_the_command_leaves_no_file_once_it_commits(tree, officer_county_north, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(good_file())

    call_command("import_elders", str(roster), "--source", "civil_affairs", "--user", "officer_wuzhi", "--commit")

    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.COMMITTED and raw_file_column(batch) is None


# --- deleted after N days ---------------------------------------------------------------


def test_files_are_purged_once_the_configured_days_have_passed(tree, officer_county_north, settings):
    # given files kept 7 days: one with errors, one waiting to be committed, one committed
    settings.TANFANG_IMPORT_FILE_DAYS = 7
    with time_machine.travel(UPLOADED, tick=False):
        invalid = upload(officer_county_north, bad_file(), "有错.csv")
        waiting = upload(officer_county_north, good_file(), "待确认.csv")
        committed = upload(officer_county_north, roster_csv([("王三", number(3), JIANSHE)]), "已导入.csv")
        commit_import(actor=officer_county_north, batch=committed)
    errors_before = ImportBatch.objects.get(pk=invalid.pk).errors

    # when the job runs a minute before seven days have passed, then at 02:40 the night after
    early = purge_import_files(now=UPLOADED + dt.timedelta(days=7, minutes=-1))
    with time_machine.travel(UPLOADED + dt.timedelta(days=7, hours=16, minutes=40), tick=False):
        purged = purge_import_files(now=UPLOADED + dt.timedelta(days=7, hours=16, minutes=40))

    # then only the two kept files go, each audited once with the system as actor
    assert (early, purged) == (0, 2)
    moment = UPLOADED + dt.timedelta(days=7, hours=16, minutes=40)
    for batch in (invalid, waiting):
        batch.refresh_from_db()
        assert raw_file_column(batch) is None and batch.file_deleted_at == moment
    assert ImportBatch.objects.get(pk=invalid.pk).errors == errors_before
    assert ImportBatch.objects.get(pk=invalid.pk).state == ImportBatch.State.INVALID
    purge_events = events("elder.import_file_purged")
    assert [(e.subject_id, e.subject_label, e.actor_id, e.actor_label) for e in purge_events] == [
        (str(invalid.pk), "有错.csv", None, "system"),
        (str(waiting.pk), "待确认.csv", None, "system"),
    ]
    assert purge_events[0].region_path == "410000/410800/410823/"
    assert purge_events[0].details == {
        "batch": invalid.pk,
        "state": "invalid",
        "uploaded_at": "2026-03-02T02:00:00+00:00",
    }


def test_purging_twice_deletes_and_audits_nothing_more(tree, officer_county_north):
    with time_machine.travel(UPLOADED, tick=False):
        upload(officer_county_north, good_file())
    later = UPLOADED + dt.timedelta(days=30)

    first, second = purge_import_files(now=later), purge_import_files(now=later + dt.timedelta(days=1))

    assert (first, second) == (1, 0)
    assert len(events("elder.import_file_purged")) == 1


def test_the_number_of_days_comes_from_the_settings(tree, officer_county_north, settings):
    settings.TANFANG_IMPORT_FILE_DAYS = 2
    with time_machine.travel(UPLOADED, tick=False):
        batch = upload(officer_county_north, good_file())

    assert purge_import_files(now=UPLOADED + dt.timedelta(days=1, hours=23)) == 0
    assert purge_import_files(now=UPLOADED + dt.timedelta(days=2)) == 1
    batch.refresh_from_db()
    assert not batch.file_kept


def test_the_daily_job_is_scheduled_at_two_forty_and_purges(tree, officer_county_north):
    # given
    entry = current_app.conf.beat_schedule["purge-import-files"]  # config/schedule.py
    with time_machine.travel(UPLOADED, tick=False):
        batch = upload(officer_county_north, good_file())

    # when the task runs eight days later
    with time_machine.travel(UPLOADED + dt.timedelta(days=8), tick=False):
        purge_import_files_task()

    # then
    assert entry["task"] == purge_import_files_task.name
    assert entry["schedule"] == crontab(hour=2, minute=40)
    batch.refresh_from_db()
    assert not batch.file_kept and len(events("elder.import_file_purged")) == 1


def _purged_batch(actor, content: bytes) -> ImportBatch:
    with time_machine.travel(UPLOADED, tick=False):
        batch = upload(actor, content)
    purge_import_files(now=UPLOADED + dt.timedelta(days=30))
    return ImportBatch.objects.get(pk=batch.pk)


def test_a_purged_batch_cannot_be_committed(tree, officer_county_north):
    # given
    batch = _purged_batch(officer_county_north, good_file())

    # when
    with pytest.raises(ValidationFailed) as refused:
        commit_import(actor=officer_county_north, batch=batch)

    # then
    assert refused.value.message == GONE
    assert Elder.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch.pk).state == ImportBatch.State.PREVIEWED
    assert events("elder.import_committed") == []


def test_a_batch_in_memory_cannot_be_committed_once_its_file_is_purged(tree, officer_county_north):
    # given a page that loaded the batch just before the purge ran
    with time_machine.travel(UPLOADED, tick=False):
        batch = upload(officer_county_north, good_file())
    purge_import_files(now=UPLOADED + dt.timedelta(days=30))

    # when the commit arrives with the stale batch
    with pytest.raises(ValidationFailed, match=GONE):
        commit_import(actor=officer_county_north, batch=batch)

    # then
    assert Elder.objects.count() == 0


def test_the_page_says_the_file_is_gone_and_offers_no_commit(tree, officer_county_north, as_user):
    # given
    batch = _purged_batch(officer_county_north, good_file())
    client = as_user(officer_county_north)

    # when
    page = client.get(f"/elders/imports/{batch.pk}/").content.decode()
    commit = client.post(f"/elders/imports/{batch.pk}/commit/", follow=True)

    # then
    assert "原始文件已删除" in page and GONE in page
    assert f"/elders/imports/{batch.pk}/commit/" not in page
    assert GONE in commit.content.decode() and Elder.objects.count() == 0
    assert "原始文件已删除" in client.get("/elders/imports/").content.decode()


def test_the_api_shows_when_the_file_was_deleted_and_refuses_the_commit(tree, officer_county_north, as_user):
    # given
    batch = _purged_batch(officer_county_north, good_file())
    client = as_user(officer_county_north)

    # when
    shown = client.get(f"/api/v1/elders/imports/{batch.pk}")
    refused = client.post(f"/api/v1/elders/imports/{batch.pk}/commit")

    # then
    assert shown.json()["file_deleted_at"] == "2026-04-01T02:00:00Z"
    assert refused.status_code == 422
    assert refused.json()["message"] == GONE


def test_a_fresh_upload_through_the_api_says_the_file_is_kept(tree, officer_county_north, as_user):
    client = as_user(officer_county_north)
    file = SimpleUploadedFile("台账.csv", good_file(), content_type="text/csv")

    preview = client.post("/api/v1/elders/imports", {"file": file, "source": "civil_affairs"})
    committed = client.post(f"/api/v1/elders/imports/{preview.json()['id']}/commit")

    assert preview.json()["file_deleted_at"] is None
    assert committed.json()["file_deleted_at"] == committed.json()["committed_at"]


# --- the error workbook: the uploader only ------------------------------------------------


def test_the_uploader_downloads_the_error_workbook_and_it_is_audited(tree, officer_county_north, as_user):
    # given
    batch = upload(officer_county_north, bad_file())

    # when
    response = as_user(officer_county_north).get(f"/elders/imports/{batch.pk}/errors.xlsx")

    # then
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "错误说明" and "公民身份号码" in values[2][0]
    (event,) = events("elder.import_errors_downloaded")
    assert (event.actor_id, event.subject_id, event.subject_label) == (
        officer_county_north.pk,
        str(batch.pk),
        "台账.csv",
    )
    assert event.details == {"batch": batch.pk, "errors": 1}


def test_another_officer_who_sees_the_batch_is_refused_and_it_is_audited(
    tree, officer_county_north, officer_wuzhi_2, as_user
):
    # given a batch the second officer of the county can see
    batch = upload(officer_county_north, bad_file())
    client = as_user(officer_wuzhi_2)
    assert client.get(f"/elders/imports/{batch.pk}/").status_code == 200
    stored = raw_file_column(batch)

    # when
    response = client.get(f"/elders/imports/{batch.pk}/errors.xlsx")

    # then refused with a reason, nothing changed, and the refusal is on record
    assert response.status_code == 403
    assert "标注了错误的导入文件只有上传人本人可以下载" in response.content.decode()
    assert raw_file_column(batch) == stored and ImportBatch.objects.get(pk=batch.pk).file_kept
    assert events("elder.import_errors_downloaded") == []
    (refusal,) = events("access.refused")
    assert (refusal.actor_id, refusal.subject_type, refusal.subject_id) == (
        officer_wuzhi_2.pk,
        "elders.importbatch",
        str(batch.pk),
    )
    assert refusal.region_path == batch.region_path
    assert refusal.details == {
        "operation": "elder.import_errors_downloaded",
        "batch": batch.pk,
        "reason": "not_uploader",
    }


def test_the_refusal_is_recorded_even_when_the_service_is_called_directly(
    tree, officer_township_north, officer_county_north
):
    # given a batch a township officer uploaded, which the county officer sees
    batch = upload(officer_township_north, bad_file())

    # when
    with pytest.raises(PermissionDenied) as refused:
        download_error_workbook(actor=officer_county_north, batch=batch)

    # then
    assert refused.value.message == "标注了错误的导入文件只有上传人本人可以下载"
    assert [e.actor_id for e in events("access.refused")] == [officer_county_north.pk]


def test_an_officer_of_another_county_gets_not_found_and_no_audit(tree, officer_county_north, officer_county_south):
    batch = upload(officer_county_north, bad_file())

    with pytest.raises(NotFound):
        download_error_workbook(actor=officer_county_south, batch=batch)

    assert events("access.refused") == [] and events("elder.import_errors_downloaded") == []


def test_the_page_offers_the_download_to_the_uploader_only(tree, officer_county_north, officer_wuzhi_2, as_user):
    batch = upload(officer_county_north, bad_file())
    link = f"/elders/imports/{batch.pk}/errors.xlsx"

    mine = as_user(officer_county_north).get(f"/elders/imports/{batch.pk}/").content.decode()
    theirs = as_user(officer_wuzhi_2).get(f"/elders/imports/{batch.pk}/").content.decode()

    assert link in mine and "加密保存" in mine and "最迟于" in mine
    assert link not in theirs and "标注了错误的文件只有上传人本人可以下载。" in theirs


def test_the_uploader_cannot_download_once_the_file_is_purged(tree, officer_county_north, as_user):
    # given
    batch = _purged_batch(officer_county_north, bad_file())
    client = as_user(officer_county_north)

    # when
    page = client.get(f"/elders/imports/{batch.pk}/").content.decode()
    response = client.get(f"/elders/imports/{batch.pk}/errors.xlsx", follow=True)

    # then
    assert f"/elders/imports/{batch.pk}/errors.xlsx" not in page
    assert "原始文件已删除，不能再下载标注了错误的文件。" in page
    assert response.redirect_chain == [(f"/elders/imports/{batch.pk}/", 302)]
    assert GONE in response.content.decode()
    assert events("elder.import_errors_downloaded") == []
    with pytest.raises(ValidationFailed, match=GONE):
        download_error_workbook(actor=officer_county_north, batch=batch)


# --- what stays of a batch holds no full number -------------------------------------------------


def test_the_stored_errors_hold_no_full_id_or_phone_number(tree, officer_county_north):
    # given columns mixed up: an ID number where the village code goes, a phone among the groups
    stray = number(2)
    content = roster_csv(
        [("王一", number(1), stray), ("王二", number(3), JIANSHE, "13812345678"), ("王三", number(4), "410822001001")]
    )

    # when
    batch = upload(officer_county_north, content)

    # then the messages name the values masked as everywhere else, village codes in full
    assert mask_id_number(stray) != stray and mask_phone("13812345678") != "13812345678"
    assert batch.errors == [
        {
            "line": 2,
            "column": "现居住地区划代码",
            "message": f"区划代码 {mask_id_number(stray)} 不是已知的村（社区）",
        },
        {
            "line": 3,
            "column": "特殊困难类别",
            "message": f"“{mask_phone('13812345678')}”不是特殊困难类别"
            "（独居、空巢、留守、失能、重残、计划生育特殊家庭）",
        },
        {"line": 4, "column": "现居住地区划代码", "message": "区划代码 410822001001 不在您的辖区内"},
    ]
    stored = str(ImportBatch.objects.filter(pk=batch.pk).values_list("errors", "summary").get())
    assert stray not in stored and "13812345678" not in stored and number(1) not in stored


# --- old databases ----------------------------------------------------------------------


def test_the_migration_encrypts_the_plain_files_of_old_databases(tree, officer_county_north):
    # given a batch as an old database holds it: the file in plain bytes
    migration = importlib.import_module("tanfang.elders.migrations.0008_import_file_encrypted")
    content = good_file()
    batch = upload(officer_county_north, content)
    ImportBatch.objects.filter(pk=batch.pk).update(content_cipher=content)
    editor = SimpleNamespace(connection=connection)

    # when
    migration.encrypt_plain_files(apps, editor)

    # then nothing of the file stays in clear, and the file opens as any new upload
    raw = raw_file_column(batch)
    assert raw is not None and number(1).encode() not in raw and content not in raw
    assert open_file(ImportBatch.objects.get(pk=batch.pk)) == content
    # and going back restores the plain file
    migration.decrypt_files(apps, editor)
    assert raw_file_column(batch) == content
