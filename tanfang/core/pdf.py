"""The basics every printed PDF shares: the embedded Chinese font and paragraph styles.

Every piece of text is set in Noto Sans SC (installed from the npm registry at set-up time), embedded
as a subset, so a PDF reads the same on any machine. The record form (`records.printing`), the care
service sheet and the incident archive all print with these.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate

FONT = "NotoSansSC"
FONT_BOLD = "NotoSansSC-Bold"
CHECKED, UNCHECKED = "■", "□"


def font_dir() -> Path:
    return Path(settings.NODE_MODULES_DIR) / "@expo-google-fonts" / "noto-sans-sc"


@cache
def register_fonts() -> None:
    """Load the font once per process (reading the 10 MB file takes a fifth of a second)."""
    directory = font_dir()
    regular = directory / "400Regular" / "NotoSansSC_400Regular.ttf"
    bold = directory / "700Bold" / "NotoSansSC_700Bold.ttf"
    if not regular.exists():
        raise RuntimeError(f"找不到中文字体 {regular}，请先运行 make setup（npm ci）")
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold if bold.exists() else regular)))


@cache
def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11.5, wordWrap="CJK")
    return {
        "cell": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "label": ParagraphStyle("label", parent=base, fontName=FONT_BOLD),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=19, alignment=TA_CENTER),
        "section": ParagraphStyle("section", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=14),
        "right": ParagraphStyle("right", parent=base, alignment=2),
    }


def paragraph(text: object, style: str = "cell") -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept) in one of `styles()`."""
    escaped = str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), styles()[style])


def box(on: bool | None, label: str) -> str:
    return f"{CHECKED if on else UNCHECKED} {label}"


def yes_no(value: bool | None) -> str:
    return f"{box(value is True, _('是'))}  {box(value is False, _('否'))}"


def a4_document(
    out: BinaryIO,
    *,
    title: str,
    subject: str,
    top_mm: float = 15,
    bottom_mm: float = 15,
    pagesize: tuple[float, float] = A4,
) -> SimpleDocTemplate:
    """A plain A4 document (portrait, or `landscape(A4)`) whose canvas starts every page in the embedded
    font (never a base-14 font, which would not be embedded and reads differently on other machines)."""
    register_fonts()
    return SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=top_mm * mm,
        bottomMargin=bottom_mm * mm,
        initialFontName=FONT,
        initialFontSize=9,
        title=title,
        author="Tanfang",
        subject=subject,
    )
