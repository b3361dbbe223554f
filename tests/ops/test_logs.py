"""Structured logs: JSON lines with the same members on every line, the request id of the
HTTP request being handled, and no case content (route templates, never paths)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ozara.ops.logs import FIELDS, JsonFormatter
from ozara.transport.nodefiles import write_node
from tests.documents.federation import build_federation
from tests.ops.conftest import LOOPBACK, AppFactory, TestClient
from tests.transport.conftest import free_port


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What the ``ozara`` loggers write, through the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("KAZ-MVD-NODE"))
    logger = logging.getLogger("ozara")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_a_line_parses_and_carries_the_fields(captured: io.StringIO) -> None:
    logging.getLogger("ozara.test").warning("outbox: %s given up", "doc-1")
    (line,) = lines(captured)
    assert list(line)[: len(FIELDS)] == list(FIELDS)
    assert line["level"] == "warning" and line["logger"] == "ozara.test"
    assert line["message"] == "outbox: doc-1 given up"
    assert line["node"] == "KAZ-MVD-NODE" and line["request_id"] is None
    ts = str(line["ts"])
    assert ts.endswith("Z") and "T" in ts


def test_lines_written_during_a_request_carry_its_id(
    make_app: AppFactory, captured: io.StringIO
) -> None:
    app = make_app(log_requests=True)

    @app.get("/probe-that-logs")
    async def logs_something() -> dict[str, str]:
        logging.getLogger("ozara.test").info("handling")
        return {}

    # A route of its own, added after the mount, is never reached: check one before it.
    app.router.routes.insert(0, app.router.routes.pop())
    client = TestClient(app, client=LOOPBACK)
    reply = client.get("/probe-that-logs", headers={"x-request-id": "req-7"})
    assert reply.status_code == 200
    client.get("/requests/KAZ-MVD-2026-00001/pdf", headers={"x-request-id": "req-8"})
    written = lines(captured)
    inside = next(line for line in written if line["message"] == "handling")
    assert inside["request_id"] == "req-7"
    http = [line for line in written if line["logger"] == "ozara.http"]
    assert [(h["request_id"], h["route"], h["status"]) for h in http] == [
        ("req-7", "/probe-that-logs", 200),
        ("req-8", "/requests/{request_id}/pdf", 303),
    ]
    assert all(isinstance(h["duration_ms"], float) for h in http)
    assert "KAZ-MVD-2026-00001" not in captured.getvalue()  # no case named in the logs


def test_ozara_serve_log_format_json(tmp_path: Path) -> None:
    """The real command: probes and metrics answer, and stderr is JSON lines throughout."""
    fed = build_federation()
    write_node(tmp_path / "node", fed.kaz, fed.trust_list, fed.secretariat.signing.public)
    port = free_port()
    command = [sys.executable, "-m", "ozara.cli", "serve", "--node-dir", str(tmp_path / "node"),
               "--database", f"sqlite:///{tmp_path / 'node.sqlite3'}", "--port", str(port),
               "--log-format", "json", "--no-deliver"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("OZARA_")}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                alive = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        assert alive.json() == {"status": "alive"}
        ready = httpx.get(f"{base}/readyz", headers={"x-request-id": "probe-1"}, timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        metrics = httpx.get(f"{base}/metrics", timeout=10)
        assert metrics.status_code == 200 and "ozara_outbox_documents" in metrics.text
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "Traceback" not in err
    parsed = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert parsed, err
    assert all(set(FIELDS) <= set(line) and line["node"] == "KAZ-MVD-NODE" for line in parsed)
    assert any(line["logger"].startswith("uvicorn") for line in parsed)  # type: ignore[union-attr]
    probe = [line for line in parsed if line.get("request_id") == "probe-1"]
    assert probe and probe[0]["route"] == "/readyz" and probe[0]["status"] == 200
