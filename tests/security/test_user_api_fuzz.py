"""Schema-driven fuzzing of the officers' JSON API (``ozara/web/api_v1.py``, issue 7).

The API publishes its own OpenAPI document (``/api/v1/openapi.json``); schemathesis
generates requests from it (a bounded number per operation) against the security suite's
node (``conftest.py``: a live server on loopback, every kind of actor signed in, a request
received and in execution). Each generated case is sent with the session cookie of
officers who read the request (its requested body), of one who may not (another Party), of
the auditor, and with none: no answer is a server error, every status is one the document
declares, and every body conforms to its schema (the ``Error`` body of a refusal included).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from ozara.web.api_v1 import create_user_api
from ozara.web.page import SESSION_COOKIE, WebConfig
from tests.security.conftest import World

# The schema is the API's own, built without a database (as the node API's).
SCHEMA = schemathesis.openapi.from_dict(
    create_user_api(WebConfig(None, lambda: None, "KAZ-NODE")).openapi()  # type: ignore[arg-type,return-value]
)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
#: A reader of the request, an officer of another Party, the auditor, and no session.
ACTORS = ("counterpart", "other_party", "auditor", "anonymous")


def session_of(world: World, actor: str) -> dict[str, str]:
    token = world.client(actor).cookies.get(SESSION_COOKIE)
    return {SESSION_COOKIE: token} if token else {}


def test_the_schema_describes_the_read_only_operations() -> None:
    operations = {
        (op.method.upper(), op.path)
        for op in (r.ok() for r in SCHEMA.get_all_operations())  # type: ignore[union-attr]
    }
    assert operations == {
        ("GET", "/me"), ("GET", "/requests"), ("GET", "/requests/{request_id}"),
        ("GET", "/calendar"), ("GET", "/notifications"),
    }  # fmt: skip


@SCHEMA.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_user_api_keeps_to_its_schema(case: Any, world: World) -> None:
    for actor in ACTORS:
        case.call_and_validate(
            base_url=f"{world.url}/api/v1", cookies=session_of(world, actor), checks=CHECKS
        )


def test_a_readable_request_keeps_to_its_schema(world: World) -> None:
    """Random ids are 404s: the request the world holds, as each actor reads it."""
    operation = SCHEMA["/requests/{request_id}"]["GET"]
    expected = {"counterpart": 200, "owner": 200, "auditor": 200, "other_party": 403,
                "anonymous": 401}  # fmt: skip
    for actor, status in expected.items():
        for lang in ("ru", "kk", "en"):
            case = operation.Case(
                path_parameters={"request_id": world.request_id}, query={"lang": lang}
            )
            answer = case.call_and_validate(
                base_url=f"{world.url}/api/v1", cookies=session_of(world, actor), checks=CHECKS
            )
            assert answer.status_code == status, (actor, answer.text[-500:])
