"""Every refused request leaves a line on the security log (ASVS 7.1.3, 7.2.2): who was
refused which route and why, never the path or the refusal's words (they may name a case)."""

from __future__ import annotations

import json
import logging

import pytest

from ozara.ops.logs import SECURITY_LOGGER, JsonFormatter
from tests.services.test_request_services import create
from tests.web.conftest import Web, login_form


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == SECURITY_LOGGER]


def fields(record: logging.LogRecord) -> tuple[object, ...]:
    return tuple(getattr(record, k) for k in ("method", "route", "status", "kind", "officer"))


def test_a_page_outside_the_officers_rights(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    rid = create(web.engine, web.clock)  # a draft of KAZ-MVD: no case of RUS-MVD yet
    client = web.sign_in("rus-mvd.officer")
    caplog.set_level(logging.INFO, SECURITY_LOGGER)
    assert client.get(f"/requests/{rid}").status_code in (403, 404)
    assert client.get("/calendar").status_code == 200  # allowed: nothing logged
    auditor = web.sign_in("auditor")
    assert auditor.get("/calendar").status_code == 403
    (line,) = [r for r in refusals(caplog) if r.route == "/calendar"]  # type: ignore[attr-defined]
    assert fields(line) == ("GET", "/calendar", 403, "access", "auditor")
    assert line.levelno == logging.WARNING and rid not in line.getMessage()
    assert "competent body" not in line.getMessage()  # the page's words stay on the page


def test_a_form_from_elsewhere(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    client = web.sign_in("kaz-mvd.officer")
    caplog.set_level(logging.INFO, SECURITY_LOGGER)
    assert client.post("/logout", data={"csrf": "0" * 43}).status_code == 403
    (line,) = refusals(caplog)
    assert fields(line) == ("POST", "/logout", 403, "csrf", "kaz-mvd.officer")
    assert line.body == "KAZ-MVD"  # type: ignore[attr-defined]


def test_a_sign_in_form_from_elsewhere(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    client = web.browser()
    login_form(client)
    caplog.set_level(logging.INFO, SECURITY_LOGGER)
    answer = client.post(
        "/login", data={"csrf": "forged", "officer_id": "kaz-mvd.officer", "password": "x"}
    )
    assert answer.status_code == 403
    (line,) = refusals(caplog)
    assert fields(line) == ("POST", "/login", 403, "csrf", None)


def test_the_json_api(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    auditor = web.sign_in("auditor")
    caplog.set_level(logging.INFO, SECURITY_LOGGER)
    assert auditor.get("/api/v1/calendar").status_code == 403
    assert auditor.get("/api/v1/me").status_code == 200
    (line,) = refusals(caplog)
    assert fields(line) == ("GET", "/api/v1/calendar", 403, "access", "auditor")


def test_a_json_line_carries_who_and_what() -> None:
    record = logging.LogRecord(SECURITY_LOGGER, logging.WARNING, __file__, 1, "refused", (), None)
    extra = {"method": "GET", "route": "/calendar", "status": 403, "kind": "access",
             "officer": "auditor", "body": None}  # fmt: skip
    record.__dict__.update(extra)
    line = json.loads(JsonFormatter("KAZ-MVD").format(record))
    assert {k: line[k] for k in extra} == extra and line["level"] == "warning"


def test_a_method_not_in_use(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, SECURITY_LOGGER)
    assert web.browser().put("/calendar").status_code == 405
    assert web.browser().get("/no/such/page").status_code == 404  # not a refusal: no line
    (line,) = refusals(caplog)
    assert fields(line) == ("PUT", "/calendar", 405, "method", None)
