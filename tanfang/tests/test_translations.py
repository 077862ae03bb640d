"""The English catalogue: complete, not fuzzy, placeholders intact, and the committed .mo matches the .po.

The .po is read by a small parser written here (no polib), the .mo by the standard
library's `gettext.GNUTranslations`, so a .mo left stale after editing the .po fails.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

LC_MESSAGES = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s, %(n)d, %(x).2f … – the named python-format placeholders Django uses.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
KEYWORDS = ("msgctxt", "msgid_plural", "msgid", "msgstr")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)]


def unquote(text: str, line: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"line {line}: expected a quoted string, got {text!r}")

    def unescape(match: re.Match[str]) -> str:
        char = match.group(1)
        if char not in ESCAPES:
            raise ValueError(f"line {line}: unknown escape \\{char}")
        return ESCAPES[char]

    return re.sub(r"\\(.)", unescape, text[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries in file order, the header (msgid "") included; obsolete #~ entries left out."""
    entries: list[Entry] = []
    current = Entry()
    started = False  # has `current` seen a msgctxt/msgid yet?
    target: tuple[str, int | None] | None = None  # where continuation lines go

    def append(value: str) -> None:
        assert target is not None
        name, index = target
        if name == "msgstr_plural":
            assert index is not None
            current.msgstr_plural[index] += value
        else:
            setattr(current, name, (getattr(current, name) or "") + value)

    def finish() -> None:
        nonlocal current, started, target
        if started:
            entries.append(current)
        current, started, target = Entry(), False, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#"):
            if target is not None and target[0].startswith("msgstr"):
                finish()  # comments open the next entry even without a blank line
            if line.startswith("#,"):
                current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith('"'):
            if target is None:
                raise ValueError(f"line {number}: string outside an entry")
            append(unquote(line, number))
        else:
            keyword, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                index = int(match.group(1))
                current.msgstr_plural[index] = unquote(rest, number)
                target = ("msgstr_plural", index)
                continue
            if keyword not in KEYWORDS:
                raise ValueError(f"line {number}: unexpected {line!r}")
            if keyword in ("msgctxt", "msgid") and target is not None and target[0].startswith("msgstr"):
                finish()  # a new entry without a blank line before it
            if keyword in ("msgctxt", "msgid"):
                started = True
                current.line = current.line or number
            setattr(current, keyword, unquote(rest, number))
            target = (keyword, None)
    finish()
    return entries


def placeholders(text: str) -> set[tuple[str, str]]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    assert entries[0].msgid == ""
    return entries


@pytest.fixture(scope="module")
def messages(catalogue: list[Entry]) -> list[Entry]:
    return catalogue[1:]


@pytest.fixture(scope="module")
def mo() -> gettext.GNUTranslations:
    with MO_PATH.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def label(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


# --- the parser itself ---------------------------------------------------------------------------

SAMPLE = r"""# A translator's comment
#, fuzzy
msgid ""
msgstr ""
"Language: en\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: a.py:1
#, python-format
msgid ""
"长长的"
"一句 %(name)s"
msgstr ""
"A long "
"sentence %(name)s"

msgctxt "nav"
msgid "行政区划"
msgstr "Regions"

#, python-format
msgid "%(n)s 个下级"
msgid_plural "%(n)s 个下级"
msgstr[0] "%(n)s subdivision"
msgstr[1] "%(n)s subdivisions"

msgid "引号\"与\\反斜杠\t"
msgstr "Quote \" and \\ backslash\n"

#~ msgid "旧的"
#~ msgstr "Old"
"""


def test_the_parser_reads_headers_multi_line_strings_contexts_plurals_and_escapes() -> None:
    # Given a catalogue with one of each kind of entry
    # When it is parsed
    entries = parse_po(SAMPLE)

    # Then every entry comes out with its exact strings and flags, the obsolete one left out
    assert [(e.msgctxt, e.msgid) for e in entries] == [
        (None, ""),
        (None, "长长的一句 %(name)s"),
        ("nav", "行政区划"),
        (None, "%(n)s 个下级"),
        (None, '引号"与\\反斜杠\t'),
    ]
    header, multi_line, with_context, plural, escaped = entries
    assert header.flags == {"fuzzy"}
    assert header.msgstr == "Language: en\nPlural-Forms: nplurals=2; plural=(n != 1);\n"
    assert multi_line.flags == {"python-format"}
    assert multi_line.msgstr == "A long sentence %(name)s"
    assert with_context.msgstr == "Regions"
    assert plural.msgid_plural == "%(n)s 个下级"
    assert plural.translations == ["%(n)s subdivision", "%(n)s subdivisions"]
    assert escaped.msgstr == 'Quote " and \\ backslash\n'
    assert [e.line for e in entries] == [3, 10, 17, 22, 27]


def test_the_parser_finds_placeholders_with_their_types() -> None:
    # Given a message with two named placeholders of different types
    # When its placeholders are collected
    found = placeholders("第%(line)d行的区划 %(code)s 不在范围内，100% 不能导入")

    # Then both are found with their conversion, and a bare percent sign is not one
    assert found == {("line", "d"), ("code", "s")}


# --- the English catalogue -----------------------------------------------------------------------


def test_the_header_declares_english_utf8_and_english_plural_forms(catalogue: list[Entry]) -> None:
    # Given the catalogue's header
    header = catalogue[0]

    # When its fields are read
    fields = dict(line.split(": ", 1) for line in header.msgstr.splitlines() if line)

    # Then it is a finished English catalogue
    assert "fuzzy" not in header.flags
    assert fields["Language"] == "en"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_entry_is_translated_and_none_is_fuzzy(messages: list[Entry]) -> None:
    # Given every message of the catalogue
    # When the untranslated and the fuzzy ones are collected
    untranslated = [label(e) for e in messages if not all(e.translations)]
    fuzzy = [label(e) for e in messages if "fuzzy" in e.flags]
    wrong_plural_count = [label(e) for e in messages if e.msgid_plural is not None and len(e.translations) != 2]

    # Then there are none
    assert messages
    assert untranslated == []
    assert fuzzy == []
    assert wrong_plural_count == []


def test_every_translation_keeps_the_placeholders_of_its_msgid(messages: list[Entry]) -> None:
    # Given every message, python-format or not
    # When the placeholders of the msgid are compared with those of each translation
    mismatched = []
    for entry in messages:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for index, translated in enumerate(entry.translations):
            source = sources[min(index, len(sources) - 1)]
            if placeholders(source) != placeholders(translated):
                mismatched.append((label(entry), sorted(placeholders(source)), sorted(placeholders(translated))))

    # Then they are the same everywhere
    assert mismatched == []


def test_every_message_with_a_placeholder_is_marked_python_format(messages: list[Entry]) -> None:
    # Given every message whose msgid holds a named placeholder
    with_placeholders = [e for e in messages if placeholders(e.msgid)]

    # When their flags are read
    unmarked = [label(e) for e in with_placeholders if "python-format" not in e.flags]

    # Then each is checked as python-format by gettext tools too
    assert with_placeholders
    assert unmarked == []


def test_the_compiled_catalogue_gives_exactly_the_translations_of_the_po(
    messages: list[Entry], mo: gettext.GNUTranslations
) -> None:
    # Given the committed .mo, compiled from the .po
    # When every message of the .po is looked up in it
    stale = []
    for entry in messages:
        if entry.msgid_plural is None:
            got = [
                mo.gettext(entry.msgid) if entry.msgctxt is None else mo.pgettext(entry.msgctxt, entry.msgid),
            ]
        elif entry.msgctxt is None:
            got = [mo.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
        else:
            got = [mo.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
        if got != entry.translations:
            stale.append((label(entry), entry.translations, got))

    # Then it gives exactly what the .po says (recompile with `tanfang compilemessages -l en` if not)
    assert stale == []


def test_the_compiled_catalogue_has_the_english_header(mo: gettext.GNUTranslations) -> None:
    # Given the committed .mo
    # When its header is read
    info = mo.info()

    # Then it says English, UTF-8 and English plurals
    assert info["language"] == "en"
    assert info["content-type"] == "text/plain; charset=UTF-8"
    assert info["plural-forms"] == "nplurals=2; plural=(n != 1);"
    assert mo.charset() == "UTF-8"


def test_django_serves_the_english_words_the_interface_relies_on() -> None:
    # Given Django's translation machinery, which merges our catalogue with Django's own
    # When English is active
    with translation.override("en"):
        words = {
            msgid: translation.gettext(msgid) for msgid in ("首页", "行政区划", "用户管理", "审计日志", "探访关爱")
        }
        one = translation.ngettext("%(n)s 个下级", "%(n)s 个下级", 1) % {"n": 1}
        many = translation.ngettext("%(n)s 个下级", "%(n)s 个下级", 12) % {"n": 12}
        region = translation.gettext("%(role)s不能分配到%(level)s级区划「%(name)s」") % {
            "role": translation.gettext("县级民政干部"),
            "level": translation.gettext("村（居）"),
            "name": "大封村",
        }

    # Then the navigation, the plurals and a composed message read as English
    assert words == {
        "首页": "Home",
        "行政区划": "Regions",
        "用户管理": "Users",
        "审计日志": "Audit log",
        "探访关爱": "Visits & Care",
    }
    assert one == "1 subdivision"
    assert many == "12 subdivisions"
    assert region == (
        "The role “County civil affairs officer” cannot be assigned to “大封村”, a region at Village (community) level"
    )


def test_chinese_stays_the_source_language() -> None:
    # Given Django's translation machinery
    # When Chinese is active
    with translation.override("zh-hans"):
        word = translation.gettext("行政区划")

    # Then the msgid itself is shown
    assert word == "行政区划"
