"""The monthly 通报 and the progress report, as .xlsx and PDF (reports.exports builds and audits them).

Thin: each view reads ?region=CODE (default: the user's top region) and ?month=YYYY-MM (default: last
month for the 通报, this month for the progress report), calls one export, and sends the file. A bad or
future month is a ValidationFailed, shown as the error page in Chinese; a region out of sight is 404.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from tanfang.core.scope import actor_of
from tanfang.core.time import local_today
from tanfang.reports.bulletins import report_month
from tanfang.reports.exports import ReportFile, export_bulletin, export_progress


def _send(file: ReportFile, *, inline: bool) -> HttpResponse:
    """The file, named in Chinese for browsers that read RFC 6266's filename*, in ASCII for the rest."""
    response = HttpResponse(file.content, content_type=file.content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{file.fallback}\"; filename*=UTF-8''{quote(file.name)}"
    )
    return response


def _bulletin(request: HttpRequest, fmt: str) -> HttpResponse:
    today = local_today()
    month = report_month(request.GET.get("month", ""), today, default_back=1)
    file = export_bulletin(
        actor=actor_of(request), code=request.GET.get("region", "").strip(), month=month, today=today, fmt=fmt
    )
    return _send(file, inline=fmt == "pdf")


def _progress(request: HttpRequest, fmt: str) -> HttpResponse:
    today = local_today()
    month = report_month(request.GET.get("month", ""), today, default_back=0)
    file = export_progress(
        actor=actor_of(request), code=request.GET.get("region", "").strip(), month=month, today=today, fmt=fmt
    )
    return _send(file, inline=fmt == "pdf")


@require_GET
def bulletin_xlsx(request: HttpRequest) -> HttpResponse:
    return _bulletin(request, "xlsx")


@require_GET
def bulletin_pdf(request: HttpRequest) -> HttpResponse:
    return _bulletin(request, "pdf")


@require_GET
def progress_pdf(request: HttpRequest) -> HttpResponse:
    return _progress(request, "pdf")


@require_GET
def progress_xlsx(request: HttpRequest) -> HttpResponse:
    return _progress(request, "xlsx")


urlpatterns: list[URLPattern] = [
    path("report.xlsx", bulletin_xlsx, name="report_xlsx"),
    path("report.pdf", bulletin_pdf, name="report_pdf"),
    path("progress.pdf", progress_pdf, name="progress_pdf"),
    path("progress.xlsx", progress_xlsx, name="progress_xlsx"),
]
