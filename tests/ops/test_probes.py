"""Health, readiness and metrics on the app ``ozara serve`` builds (node API, web app at /)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ozara.store import db
from ozara.transport.nodefiles import KEYS_FILE, TRUST_LIST_FILE
from tests.ops.conftest import LOOPBACK, AppFactory, PopulatedNode, TestClient


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz_needs_nothing_but_the_process(make_app: AppFactory, tmp_path: Path) -> None:
    broken = db.make_engine(f"sqlite:///{tmp_path}")  # a directory: no database opens there
    client = TestClient(make_app(engine=broken))
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.json() == {"status": "alive"}


def test_readyz_when_everything_is_in_place(make_app: AppFactory) -> None:
    reply = TestClient(make_app()).get("/readyz")
    assert reply.status_code == 200
    assert reply.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "keys": "ok", "trust_list": "ok"},
        "failing": [],
    }


def test_readyz_names_what_is_not_ready(
    make_app: AppFactory, populated: PopulatedNode, tmp_path: Path
) -> None:
    unmigrated = db.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    (populated.node_dir / TRUST_LIST_FILE).unlink()
    reply = TestClient(make_app(engine=unmigrated)).get("/readyz")
    assert reply.status_code == 503
    body = reply.json()
    assert body["status"] == "not_ready" and body["failing"] == ["migrations", "trust_list"]
    assert body["checks"]["migrations"].startswith("at revision None, this code needs ")
    assert body["checks"]["trust_list"] == "trust-list.json: no such file"
    assert str(populated.node_dir) not in reply.text  # no paths of the machine

    (populated.node_dir / KEYS_FILE).write_text("{}")
    broken = db.make_engine(f"sqlite:///{tmp_path}")
    body = TestClient(make_app(engine=broken)).get("/readyz").json()
    assert body["failing"] == ["database", "keys", "migrations", "trust_list"]
    assert body["checks"]["database"].startswith("unreachable (")
    assert body["checks"]["keys"].startswith("keys.json")
    unmigrated.dispose()


def test_metrics_count_the_backlog_and_the_requests(
    make_app: AppFactory, populated: PopulatedNode
) -> None:
    populated.clock.advance(days=60)  # the received request's execution clock has run out
    client = TestClient(make_app(), client=LOOPBACK)
    client.get("/healthz")
    client.get("/requests/KAZ-MVD-2026-00001/pdf", follow_redirects=False)
    client.post("/v1/documents", content=b"x", headers={"content-type": "text/plain"})
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=")
    s = samples(reply.text)
    assert s[("ozara_database_up", ())] == 1
    assert s[("ozara_outbox_documents", (("state", "pending"),))] == 1
    assert s[("ozara_outbox_documents", (("state", "failed"),))] == 1
    assert s[("ozara_inbox_documents", (("state", "pending"),))] == 0
    assert s[("ozara_inbox_documents", (("state", "dead_letter"),))] == 1
    overdue = {k: v for k, v in s.items() if k[0] == "ozara_deadlines_overdue"}
    assert sum(overdue.values()) >= 1
    states = {dict(k[1])["state"]: v for k, v in s.items() if k[0] == "ozara_requests"}
    assert states == {"received": 1, "sent": 2, "draft": 1}

    def count(route: str, method: str = "GET") -> float:
        key = (("method", method), ("route", route))
        return s.get(("ozara_http_request_duration_seconds_count", key), 0)

    assert count("/healthz") == 1
    # The route template, never the path: a path names a case.
    assert count("/requests/{request_id}/pdf") == 1
    assert "KAZ-MVD-2026-00001" not in reply.text
    assert count("/v1/documents", "POST") == 1
    responses = {dict(k[1])["status_class"] for k in s if k[0] == "ozara_http_responses_total"}
    assert {"2xx", "4xx"} <= responses


def test_metrics_are_for_loopback_only_by_default(make_app: AppFactory) -> None:
    reply = TestClient(make_app()).get("/metrics")
    assert reply.status_code == 403
    assert reply.json()["reason"] == "forbidden"
    assert "ozara_" not in reply.text


def test_metrics_with_a_token_need_it_from_everyone(make_app: AppFactory) -> None:
    app = make_app(token="s3cret-token")
    local = TestClient(app, client=LOOPBACK)
    assert local.get("/metrics").status_code == 401
    assert local.get("/metrics").headers["www-authenticate"] == "Bearer"
    wrong = {"authorization": "Bearer nope"}
    assert local.get("/metrics", headers=wrong).status_code == 401
    right = {"authorization": "Bearer s3cret-token"}
    remote = TestClient(app)
    assert remote.get("/metrics", headers=right).status_code == 200


def test_each_app_has_its_own_registry(make_app: AppFactory) -> None:
    first, second = TestClient(make_app(), client=LOOPBACK), TestClient(make_app(), client=LOOPBACK)
    first.get("/healthz")
    first.get("/healthz")
    key = ("ozara_http_request_duration_seconds_count", (("method", "GET"), ("route", "/healthz")))
    assert samples(first.get("/metrics").text)[key] == 2
    assert samples(second.get("/metrics").text).get(key, 0) == 0


def test_every_response_carries_a_request_id(make_app: AppFactory) -> None:
    client = TestClient(make_app())
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    given = client.get("/healthz", headers={"x-request-id": "proxy-42.a"})
    assert given.headers["x-request-id"] == "proxy-42.a"
    odd = client.get("/healthz", headers={"x-request-id": "a b\tc"})
    assert odd.headers["x-request-id"] != "a b\tc"
