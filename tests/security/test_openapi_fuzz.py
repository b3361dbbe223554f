"""Schema-driven fuzzing of the node-to-node API, and input fuzzing of the officers' forms.

* The node API (``ozara/api/node.py``) publishes an OpenAPI document: schemathesis
  generates requests from it (a bounded number per operation) against a real node on
  loopback and checks that no answer is a server error and that every answer conforms to
  the documented responses (status codes, media types, the JSON error body).
* The officers' web application has no JSON API to describe: it is server-rendered HTML
  with form posts (``create_web_app`` serves no OpenAPI document, ``openapi_url=None``).
  Its key form endpoints (composing a request and checking it as one types, composing a
  record, search) are fuzzed with hypothesis instead, signed in, with the session's CSRF
  token: whatever the fields hold, the answer is never a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ozara.api.node import create_app
from ozara.store import db
from tests.conftest import Clock
from tests.documents.federation import build_federation
from tests.security.conftest import RECORD_FORM, REQUEST_FORM, World, fast_directory
from tests.transport.conftest import make_inbox, serving
from tests.web.conftest import Web, csrf_of

# The schema is the app's own; building the app needs no inbox until a request comes.
SCHEMA = schemathesis.openapi.from_dict(create_app(None).openapi())  # type: ignore[arg-type]
FED = build_federation()


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = fast_directory(tmp_path_factory)
    engine = db.make_engine(f"sqlite:///{directory / 'rus.sqlite3'}")
    db.upgrade(engine)
    clock = Clock(datetime.now(UTC))
    with serving(create_app(make_inbox(FED, engine, clock, max_bytes=64 * 1024))) as url:
        yield url
    engine.dispose()


def test_the_schema_describes_both_operations() -> None:
    operations = {
        (op.method.upper(), op.path)
        for op in (r.ok() for r in SCHEMA.get_all_operations())  # type: ignore[union-attr]
    }
    assert operations == {("POST", "/v1/documents"), ("GET", "/v1/health")}


@SCHEMA.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_node_api_keeps_to_its_schema(case: Any, node_url: str) -> None:
    case.call_and_validate(
        base_url=node_url,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


# -- the officers' forms -------------------------------------------------------------------

#: Text as a browser may post it: any character a form can carry (no lone surrogates, which
#: no UTF-8 encoder sends), long lines, markup, control characters.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=60),
    st.sampled_from(
        ["", " ", "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "\r\n\r\n", "%00",
         "{{ 7*7 }}", "СЕКРЕТНО", "x" * 5000, "🙂" * 50, "../../etc/passwd", "1e999"]
    ),
)  # fmt: skip
FORMS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def fields_over(valid: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    """The valid form with some of its fields (and some unknown ones) replaced by TEXT."""
    known = st.dictionaries(st.sampled_from(sorted(valid)), TEXT, max_size=5)
    unknown = st.dictionaries(
        st.text("abcdefghij._[]0123456789", min_size=1, max_size=10), TEXT, max_size=2
    )
    return st.builds(lambda k, u: {**valid, **u, **k}, known, unknown)


def no_server_error(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text[-2000:]


@FORMS
@given(form=fields_over(REQUEST_FORM))
def test_composing_a_request_never_gets_a_5xx(world: World, form: dict[str, str]) -> None:
    owner = world.client("owner")
    data = {**form, "csrf": world.token("owner")}
    no_server_error(owner.post("/requests/check", data=data))
    no_server_error(owner.post("/requests/new", data=data))


@FORMS
@given(form=fields_over(RECORD_FORM))
def test_composing_a_record_never_gets_a_5xx(world: World, form: dict[str, str]) -> None:
    owner = world.client("owner")
    no_server_error(owner.post("/records/new", data={**form, "csrf": world.token("owner")}))


@FORMS
@given(q=TEXT, purpose=TEXT | st.sampled_from(["investigation", "training"]), kind=TEXT)
def test_search_and_lists_never_get_a_5xx(world: World, q: str, purpose: str, kind: str) -> None:
    officer = world.client("counterpart")
    no_server_error(officer.get("/search", params={"q": q, "purpose": purpose}))
    no_server_error(officer.get("/records", params={"kind": kind, "offset": q}))
    no_server_error(officer.get("/requests", params={"q": q, "state": kind, "party": purpose}))


@FORMS
@given(action=TEXT | st.sampled_from(["receive", "forward", "refuse"]), text=TEXT, target=TEXT)
def test_acting_on_a_request_never_gets_a_5xx(
    world: World, action: str, text: str, target: str
) -> None:
    officer = world.client("counterpart")
    answer = officer.post(
        f"/requests/{world.request_id}/act",
        data={"action": action, "text": text, "target_body": target, "partial": text,
              "csrf": world.token("counterpart")},
    )  # fmt: skip
    no_server_error(answer)


# -- a NUL character, on each database -------------------------------------------------------


NUL_INPUTS = [
    ("POST", "/records/new", {**RECORD_FORM, "title": "Botnet\x00 controllers"}),
    ("POST", "/records/new", {**RECORD_FORM, "p0.names": "Kairat\x00 Akhmetov"}),
    ("GET", "/search", {"q": "Kairat\x00", "purpose": "investigation"}),
    ("GET", "/requests", {"q": "KAZ\x00"}),
]


@pytest.mark.usefixtures("server_errors_unlogged")
def test_a_nul_character_is_no_server_error_on_either_database(web: Web) -> None:
    """HTML forms carry U+0000 as any other character; SQLite stores it, PostgreSQL's text
    columns refuse it. Either the application refuses it as input or stores it; never a 500."""
    officer = web.sign_in("kaz-mvd.officer")
    token = csrf_of(officer, "/records/new")
    statuses = []
    for method, path, fields in NUL_INPUTS:
        with web.browser() as browser:  # a connection of its own: a 500 may close it
            browser.cookies = officer.cookies
            if method == "POST":
                answer = browser.post(path, data={**fields, "csrf": token})
            else:
                answer = browser.get(path, params=fields)
        statuses.append((method, path, answer.status_code))
    assert all(status < 500 for _, _, status in statuses), statuses
