"""Rules of the structure, checked on the source (see docs/architecture.md, "Rules and where they live").

1. Interfaces are thin: views, API operations, tasks and management commands parse, call one service
   or selector, and format. They do not reach the ORM (`.objects`, `.save(`, `.delete(`), decrypt, or
   write audit events themselves.
2. Secrets are decrypted in one module per kind, over `core/crypto.py`: elders' numbers in
   `elders/personal_data.py`, users' phones and TOTP secrets in `accounts/secrets.py`, visitors' phones
   in `visitors/contact.py`, uploaded rosters in `elders/import_files.py`.
3. Nothing reacts to Django model signals: every consequence of a write is an explicit call in the
   writing service's transaction (the due-refresh queue, the caches' generation tokens).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = [ROOT / "tanfang", ROOT / "config"]

# Interface modules that may do one of the forbidden things, each with its reason. Keep this short.
# (path, what) → reason. None is needed today.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _python_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
                continue
            files.append(path)
    return sorted(files)


def _is_interface(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return (
        path.name in ("views.py", "api.py", "tasks.py", "import_views.py")
        or "/management/commands/" in relative
        or relative.startswith("config/")
    )


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


AUDIT_WRITERS = {"record_event", "record_events", "new_event"}
DECRYPTERS = {"decrypt", "field_cipher", "stored_value"}
ROUTERS = {"router", "api"}  # `@router.delete(...)` declares an API operation; it deletes nothing


def _called_name(node: ast.Call) -> tuple[str, str]:
    """(receiver, name) of a call: ("", "f") for f(), ("obj", "save") for obj.save()."""
    func = node.func
    if isinstance(func, ast.Name):
        return "", func.id
    if isinstance(func, ast.Attribute):
        receiver = func.value.id if isinstance(func.value, ast.Name) else ""
        return receiver, func.attr
    return "", ""


def interface_findings(path: Path) -> list[Finding]:
    """Every ORM call, decryption and audit write in an interface module."""
    relative = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
    found: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(Finding(relative, node.lineno, ".objects"))
        elif isinstance(node, ast.Call):
            receiver, name = _called_name(node)
            if name in ("save", "delete") and receiver not in ROUTERS:
                found.append(Finding(relative, node.lineno, f".{name}("))
            elif name in DECRYPTERS:
                found.append(Finding(relative, node.lineno, f"decrypts ({name})"))
            elif name in AUDIT_WRITERS:
                found.append(Finding(relative, node.lineno, f"writes an audit event ({name})"))
        elif isinstance(node, ast.ImportFrom) and node.module in ("tanfang.audit.services", "tanfang.core.crypto"):
            found.append(Finding(relative, node.lineno, f"imports {node.module}"))
    return [f for f in found if (f.path, f.what) not in EXCEPTIONS]


def test_interfaces_parse_call_one_service_or_selector_and_format():
    findings = [finding for path in _python_files() if _is_interface(path) for finding in interface_findings(path)]

    assert [str(f) for f in findings] == [], "move these into a service or selector"


def test_the_checker_sees_what_it_forbids(tmp_path, monkeypatch):
    # given a view that does everything an interface must not
    module = ROOT / "tanfang" / "core" / "tests" / "_forbidden_views_sample.py"
    source = (
        "from tanfang.audit.services import record_event\n"
        "def view(request):\n"
        "    elder = Elder.objects.get(pk=1)\n"
        "    elder.save()\n"
        "    elder.delete()\n"
        "    field_cipher().decrypt(b'', context='x')\n"
        "    record_event(actor=None, action='x')\n"
        "@router.delete('/x')\n"
        "def operation(request):\n"
        "    return None\n"
    )
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)

    # when
    whats = [f.what for f in interface_findings(module)]

    # then: each is found, and the API decorator is not taken for a delete
    assert whats.count(".objects") == 1
    assert ".save(" in whats and whats.count(".delete(") == 1
    assert "decrypts (decrypt)" in whats and "decrypts (field_cipher)" in whats
    assert "writes an audit event (record_event)" in whats
    assert "imports tanfang.audit.services" in whats


def test_every_exception_is_still_needed():
    for (path, what), reason in EXCEPTIONS.items():
        assert reason, f"{path}: an exception needs its reason"
        source = ROOT / path
        assert source.exists(), f"{path} is gone: remove its exception"
        found = [
            f
            for f in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
            if isinstance(f, ast.Attribute) and f.attr == what.strip(".(")
        ]
        assert found, f"{path} no longer does {what}: remove its exception"


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_secrets_are_decrypted_only_in_their_one_module(path):
    allowed = {
        "tanfang/core/crypto.py",
        "tanfang/elders/personal_data.py",
        "tanfang/accounts/secrets.py",
        "tanfang/visitors/contact.py",
        "tanfang/elders/import_files.py",
        "tanfang/notifications/recipients.py",
    }
    relative = path.relative_to(ROOT).as_posix()
    calls = [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and _called_name(node)[1] == "decrypt"
    ]

    assert relative in allowed or calls == [], f"{relative} decrypts at lines {calls}: use elders.personal_data"


SIGNALS = {"post_save", "pre_save", "post_delete", "pre_delete", "m2m_changed", "receiver"}


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_listens_to_model_signals(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = sorted(
        {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.db.models.signals"
            for alias in node.names
        }
        | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.dispatch"
            for alias in node.names
            if alias.name in SIGNALS
        }
    )

    assert used == [], "call the consequence explicitly in the service's transaction (ARCHITECTURE rule 7)"
