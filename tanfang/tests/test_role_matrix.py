"""What each role may do, as a matrix: every route and API operation, as each role, on records inside its scope.

The matrix is docs/access.md's table "每个角色能做什么": this test reads it and walks it. Each cell
says whether the role gets an answer (✓) or a refusal (403, or 404 where the record is out of
its sight); a refused request changes nothing but, where it is audited, the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from config.api import api
from tanfang.accounts.models import User
from tanfang.core.id_numbers import make_citizen_id
from tanfang.devtools.factories import DEFAULT_PASSWORD
from tanfang.elders.models import Elder
from tanfang.elders.tests.files import roster_csv
from tanfang.tests.routes import all_routes
from tanfang.tests.test_access import API_VISIT, PUBLIC_ROUTES, RECORD_CASES, fingerprint
from tanfang.visitors.services import VisitorInput, create_visitor, pair

ACCESS_DOC = Path(settings.BASE_DIR) / "docs" / "access.md"
COLUMNS = ("SYS", "SEC", "AUD", "PRV", "CTY", "CNT", "TWN", "VIL", "VIS", "SUP")


@dataclass(frozen=True)
class Cell:
    route: str
    method: str
    url: str
    allowed: frozenset[str]


def read_matrix() -> list[Cell]:
    """The rows of the matrix table in docs/access.md: | route | method | url | SYS | SEC | ... |"""
    cells = []
    for line in ACCESS_DOC.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if len(parts) != 3 + len(COLUMNS) or not re.fullmatch(r"`[\w:\-]+`", parts[0]):
            continue
        marks = parts[3:]
        assert all(m in ("✓", "—") for m in marks), line
        cells.append(
            Cell(
                route=parts[0].strip("`"),
                method=parts[1].lower(),
                url=parts[2].strip("`"),
                allowed=frozenset(c for c, m in zip(COLUMNS, marks, strict=True) if m == "✓"),
            )
        )
    return cells


MATRIX = read_matrix()

NEW_NUMBER: str = make_citizen_id("410823", dt.date(1950, 3, 1), 77)

# Bodies for writes inside the north county (test_access's bodies aim at the south). A callable
# gets the records' ids.
API_VISIT_HERE = API_VISIT | {"client_id": "7d3c1b2a-0000-4000-8000-00000000bb01"}
IN_SCOPE_BODIES: dict[tuple[str, str], Any] = {
    ("users:edit", "post"): {
        "display_name": "被改",
        "role": "village_worker",
        "region_codes": "410823001001",
        "is_active": "on",
    },
    ("visitors:edit", "post"): {
        "name": "被改",
        "kind": "volunteer",
        "region_code": "410823001001",
        "capacity": "5",
        "active": "on",
    },
    ("visitors:bulk_pair", "post"): {"village": "410823001001"},
    ("records:visit_form", "post"): {"reason": "存档备查"},
    ("records:village_forms", "post"): {"month": "2026-11", "reason": "存档备查"},
    ("api-1:print_full_visit_form", "post"): {"reason": "存档备查"},
    ("api-1:search_elders", "post"): {"q": "王"},
    ("audit:export", "post"): {"date_from": "2026-11-01", "date_to": "2026-11-30", "format": "csv"},
    ("api-1:create_user_endpoint", "post"): {
        "username": "matrix_new",
        "password": "Cunwei2026abc",
        "display_name": "新探访员",
        "region_codes": ["410823001001"],
        "role": "visitor",
    },
    ("api-1:create_visitor_endpoint", "post"): {"name": "李华", "kind": "volunteer", "region_code": "410823001001"},
    # the follow-up of 建设社区's elder is the village worker's: reassigned to it, accepted by it
    ("care:assign", "post"): lambda n: {"owner": f"user:{n['user']}"},
    ("api-1:assign_endpoint", "post"): lambda n: {"user_id": n["user"]},
    ("care:deadlines", "post"): {"supporters": "10"},
    ("api-1:create_follow_up", "post"): lambda n: {"elder_id": n["elder"], "kind": "other", "title": "看望"},
    # the village worker of 建设社区 on duty for its township, 木城街道
    ("alerts:duty", "post"): lambda n: {
        "user": n["user"],
        "starts_at": "2026-11-21T08:00",
        "ends_at": "2026-11-21T20:00",
    },
    ("api-1:create_elder", "post"): lambda n: {
        name: ELDER_SCHEMA()["properties"][name]["examples"][0] for name in ELDER_SCHEMA()["required"]
    },
    ("api-1:create_visits", "post"): lambda n: {"records": [API_VISIT_HERE | {"elder_id": n["elder"]}]},
    ("api-1:create_import", "post"): lambda n: {
        "file": SimpleUploadedFile("台账.csv", roster_csv([("李秀英", NEW_NUMBER, "410823001001")])),
        "source": "civil_affairs",
    },
}


def ELDER_SCHEMA() -> dict[str, Any]:
    return api.get_openapi_schema()["components"]["schemas"]["ElderIn"]


_BY_ROUTE = {(c.route_name, c.method): c for c in RECORD_CASES}


def body_for(cell: Cell, names: dict[str, object]) -> dict[str, Any] | None:
    body = IN_SCOPE_BODIES.get((cell.route, cell.method))
    if callable(body):
        return body(names)
    if body is not None:
        return body
    known = _BY_ROUTE.get((cell.route, cell.method))
    if known is None or known.body is None:
        return None
    subst = {"ELDER": names.get("elder"), "VISITOR": names.get("visitor")}
    return {k: subst.get(v, v) if isinstance(v, str) else v for k, v in known.body.items()}


def call(client: Client, cell: Cell, names: dict[str, object]) -> Any:
    url = cell.url.format(**names)
    body = body_for(cell, names)
    if cell.method == "get":
        return client.get(url)
    if body and any(isinstance(v, SimpleUploadedFile) for v in body.values()):
        return client.post(url, body)  # multipart
    if url.startswith("/api/"):
        return getattr(client, cell.method)(url, data=json.dumps(body or {}), content_type="application/json")
    return getattr(client, cell.method)(url, data=body or {})


@pytest.fixture
def personas(
    tree,
    officer_county_north,
    worker_village_north,
    visitor_north,
    supervisor_north,
    admin_province,
    security_admin,
    audit_admin,
    officer_province,
    officer_township_north,
    officer_city,
):
    return {
        "SYS": admin_province,
        "SEC": security_admin,
        "AUD": audit_admin,
        "PRV": officer_province,
        "CTY": officer_city,
        "CNT": officer_county_north,
        "TWN": officer_township_north,
        "VIL": worker_village_north,
        "VIS": visitor_north,
        "SUP": supervisor_north,
    }


@pytest.fixture
def records(north_records, officer_county_north, visitor_north):
    """The north county's records, with the visitor log-in paired (as backup) with the elder."""
    profile = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="网格员小李", kind="grid_worker", region_code="410823001001")
    )
    profile.user = visitor_north
    profile.save()
    pair(actor=officer_county_north, elder=Elder.objects.get(pk=north_records["elder"]), visitor=profile, role="backup")
    return north_records


# Operations that answer 200 for a refused item, in the item's result.
BATCHES = {"api-1:create_visits"}


def answered(response: Any, route: str = "") -> bool:
    """An answer: a page, a file, a result, or a redirect anywhere but to the log-in page with ?next=."""
    if route in BATCHES and response.status_code == 200:
        return all(r["status"] in ("created", "duplicate") for r in response.json()["results"])
    if response.status_code in (200, 201, 204):
        return True
    return response.status_code == 302 and not response["Location"].startswith("/accounts/login/?next=")


def walk(column: str, user: User, names: dict[str, object]) -> list[str]:
    """Call every cell as the user, each in a savepoint rolled back after it; return the mismatches."""
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    wrong = []
    for cell in MATRIX:
        with transaction.atomic():
            before = fingerprint()  # everything but the audit rows of refusals
            response = call(client, cell, names)
            ok, expected = answered(response, cell.route), column in cell.allowed
            where = f"{cell.method.upper()} {cell.url} ({cell.route}): {response.status_code}"
            if ok != expected:
                wrong.append(f"{where}, expected {'an answer' if expected else 'a refusal'}")
            elif not ok and response.status_code not in (403, 404) and cell.route not in BATCHES:
                wrong.append(f"{where}: a refusal must be 403 or 404")
            elif not ok and fingerprint() != before:
                wrong.append(f"{where}: the refused request changed something")
            transaction.set_rollback(True)
    return wrong


@pytest.mark.parametrize("column", COLUMNS)
def test_each_role_gets_exactly_what_docs_access_allows(column, personas, records):
    wrong = walk(column, personas[column], records)

    assert wrong == [], "\n".join(wrong)


def test_the_matrix_covers_every_route_and_operation():
    covered = {c.route for c in MATRIX}
    names = {r.name for r in all_routes()} - PUBLIC_ROUTES
    assert names - covered == set(), "add these routes to the table in docs/access.md"
    assert covered - names == set(), "these rows of docs/access.md name no route"
    assert MATRIX[-1].route == "accounts:logout", "log-out ends the walk's session: keep it last"
