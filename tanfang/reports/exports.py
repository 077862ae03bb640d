"""The monthly 通报 and the progress report to the upper level, as .xlsx and PDF: read, written, audited.

* **通报**: one row per direct sub-region, in the order of `figures.sub_regions` (ranked by visit rate,
  best first, unranked last) with the change of the rate from the month before; a total row for the
  region itself; the month's state (已月结 / 未月结, 补录 N). The PDF adds the 红黑榜: the best and the
  worst three by rate (fewer when fewer are ranked, so that no region is on both lists).
* **进度报告**: the region's month so far, the twelve months up to it (`figures.trend`) with each
  month's state, and the records added after a month closed (补录).

What they hold is read in `reports.bulletins`, and written in `reports.report_files`. Every export is
audited as 导出统计报表 in the request that makes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import NotFound
from tanfang.core.scope import Actor
from tanfang.core.xlsx import CONTENT_TYPE as XLSX
from tanfang.regions.models import Region
from tanfang.reports.bulletins import bulletin_of, progress_of
from tanfang.reports.report_files import bulletin_pdf, bulletin_xlsx, progress_pdf, progress_xlsx

PDF = "application/pdf"
FORMATS = ("xlsx", "pdf")


@dataclass(frozen=True)
class ReportFile:
    name: str  # as people read it: 焦作市2026年11月探访关爱工作通报.xlsx
    fallback: str  # ASCII, for clients that cannot read the other: bulletin-410800-2026-11.xlsx
    content: bytes
    content_type: str


def export_bulletin(*, actor: Actor, code: str, month: dt.date, today: dt.date, fmt: str) -> ReportFile:
    """Write the month's 通报 of a region (the actor's top region when `code` is empty) as .xlsx or PDF,
    audited as 导出统计报表. NotFound outside the scope, for a role that does not read figures, or for
    another format."""
    if fmt not in FORMATS:
        raise NotFound()
    bulletin = bulletin_of(actor, code, month, today)
    content = bulletin_xlsx(bulletin) if fmt == "xlsx" else bulletin_pdf(bulletin)
    _audit(actor, bulletin.region, "bulletin", month, fmt)
    return ReportFile(
        name=f"{bulletin.title}.{fmt}",
        fallback=f"bulletin-{bulletin.region.code}-{month:%Y-%m}.{fmt}",
        content=content,
        content_type=XLSX if fmt == "xlsx" else PDF,
    )


def export_progress(*, actor: Actor, code: str, month: dt.date, today: dt.date, fmt: str) -> ReportFile:
    """Write the progress report of a region (the actor's top region when `code` is empty) as PDF or
    .xlsx, audited as 导出统计报表. NotFound as for `export_bulletin`."""
    if fmt not in FORMATS:
        raise NotFound()
    progress = progress_of(actor, code, month, today)
    content = progress_xlsx(progress) if fmt == "xlsx" else progress_pdf(progress)
    _audit(actor, progress.region, "progress", month, fmt)
    return ReportFile(
        name=f"{progress.title}.{fmt}",
        fallback=f"progress-{progress.region.code}-{month:%Y-%m}.{fmt}",
        content=content,
        content_type=XLSX if fmt == "xlsx" else PDF,
    )


def _audit(actor: Actor, region: Region, report: str, month: dt.date, fmt: str) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.REPORT_EXPORTED,
            subject=region,
            details={"report": report, "month": f"{month:%Y-%m}", "format": fmt},
        )
