"""Import pages: upload and preview, commit, the marked-up error file, conflict decisions."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tanfang.accounts.forms import BootstrapForm
from tanfang.accounts.models import User
from tanfang.core.errors import ValidationFailed
from tanfang.core.roles import Permission
from tanfang.elders.import_files import file_expires_at, may_download_errors
from tanfang.elders.import_presets import ImportField, Source
from tanfang.elders.importing import (
    MAX_FILE_BYTES,
    batches_visible_to,
    commit_import,
    decide_conflict,
    download_error_workbook,
    get_batch_for,
    get_conflict_for,
    preview_import,
)
from tanfang.elders.models import ImportBatch
from tanfang.regions.scoping import require_permission

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def parse_mapping(text: str) -> dict[str, str]:
    """Lines of "文件列名=字段" (字段 as a key or its Chinese label) into {header: field key}."""
    with translation.override("zh-hans"):  # the Chinese labels work whatever the page language
        labels = {str(label): value for value, label in ImportField.choices}
    labels |= {str(label): value for value, label in ImportField.choices} | {v: v for v in ImportField.values}
    mapping: dict[str, str] = {}
    for line in text.splitlines():
        if "=" not in line:
            continue
        header, _sep, target = line.partition("=")
        mapping[header.strip()] = labels.get(target.strip(), target.strip())
    return mapping


_MAPPING_EXAMPLE = "老人姓名=姓名\n证件号=公民身份号码\n村代码=现居住地区划代码"


class UploadForm(BootstrapForm):
    source = forms.ChoiceField(label=gettext_lazy("数据来源"), choices=Source.choices)
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv，UTF-8 或 GBK）"))
    mapping = forms.CharField(
        label=gettext_lazy("自定义列对应（每行“文件列名=字段”，仅“自定义映射”时使用）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _MAPPING_EXAMPLE}),
    )


@require_http_methods(["GET", "POST"])
def import_upload_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.IMPORT_ELDERS)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", _("文件超过 %(n)d MB，请拆分后再导入") % {"n": MAX_FILE_BYTES // (1024 * 1024)})
        else:
            try:
                batch = preview_import(
                    actor=actor,
                    content=upload.read(),
                    file_name=upload.name,
                    source=form.cleaned_data["source"],
                    custom_mapping=parse_mapping(form.cleaned_data["mapping"]) or None,
                )
            except ValidationFailed as error:
                for item in error.errors:
                    form.add_error("file" if item.field in ("file", "source") else None, item.message)
            else:
                return redirect("elders:import_detail", batch_id=batch.pk)
    batches = batches_visible_to(actor).select_related("created_by").defer("content_cipher")[:20]
    context = {"form": form, "batches": batches, "file_days": settings.TANFANG_IMPORT_FILE_DAYS}
    return render(request, "elders/import.html", context)


def _batch(request: HttpRequest, batch_id: int) -> ImportBatch:
    return get_batch_for(_user(request), batch_id)


def import_detail_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    conflicts = batch.conflicts.select_related("elder").filter(outcome="")[:200]
    context = {
        "batch": batch,
        "conflicts": conflicts,
        "may_download_errors": may_download_errors(_user(request), batch),
        "file_expires_at": file_expires_at(batch),
    }
    return render(request, "elders/import_detail.html", context)


@require_POST
def import_commit_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    try:
        result = commit_import(actor=_user(request), batch=batch)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "导入完成：新登记 %(created)d 人，已有记录 %(matched)d 人，"
                "新增类别 %(groups)d 条，待处理冲突 %(conflicts)d 条"
            )
            % {
                "created": result.created,
                "matched": result.matched,
                "groups": result.groups_added,
                "conflicts": result.conflicts,
            },
        )
    return redirect("elders:import_detail", batch_id=batch.pk)


def import_errors_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    try:
        content = download_error_workbook(actor=_user(request), batch=batch)
    except ValidationFailed as error:  # the file is gone: say so on the batch's page
        messages.error(request, error.message)
        return redirect("elders:import_detail", batch_id=batch.pk)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.xlsx"'
    response["Cache-Control"] = "no-store"  # every row in full: no copy in a browser's or proxy's cache
    return response


@require_POST
def conflict_decide_view(request: HttpRequest, conflict_id: int) -> HttpResponse:
    actor = _user(request)
    conflict = get_conflict_for(actor, conflict_id)
    try:
        decide_conflict(actor=actor, conflict=conflict, replace=request.POST.get("outcome") == "replaced")
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已处理"))
    return redirect("elders:import_detail", batch_id=conflict.batch_id)
