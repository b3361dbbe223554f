"""The node API over real HTTP on loopback: status codes, JSON errors (never a 500), OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from ozara.api.node import create_app
from ozara.documents import seal
from ozara.transport.receipts import content_hash, verify_receipt
from tests.conftest import Clock
from tests.documents.federation import Federation
from tests.transport.conftest import Counts, counts, make_inbox, serving, share

OCTETS = {"content-type": "application/octet-stream"}


@pytest.fixture
def client(fed: Federation, store: Engine, clock: Clock) -> Iterator[httpx.Client]:
    app = create_app(make_inbox(fed, store, clock, max_bytes=64 * 1024))
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


def test_a_document_is_answered_with_its_receipt(
    fed: Federation, store: Engine, clock: Clock, client: httpx.Client
) -> None:
    document = share(fed)
    blob = seal(document, fed.kaz, fed.rus.encryption.public)
    reply = client.post("/v1/documents", content=blob, headers=OCTETS)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/octet-stream"
    verify_receipt(
        reply.content,
        keys=fed.kaz,
        trust=fed.rus_trust,
        now=clock.now,
        recipient=fed.rus.node_id,
        document_id=document.id,
        digest=content_hash(document),
    )
    again = client.post("/v1/documents", content=blob, headers=OCTETS)
    assert again.status_code == 200 and again.content == reply.content
    assert again.headers["ozara-duplicate"] == "true"
    assert counts(store) == Counts(0, 1, 1)


def test_a_tampered_document_is_a_400_with_its_reason(
    fed: Federation, store: Engine, client: httpx.Client
) -> None:
    blob = bytearray(seal(share(fed), fed.kaz, fed.rus.encryption.public))
    blob[-1] ^= 1
    reply = client.post("/v1/documents", content=bytes(blob), headers=OCTETS)
    assert reply.status_code == 400
    assert reply.json()["reason"] == "tampered_ciphertext"
    assert counts(store) == Counts(0, 0, 1)


def test_garbage_is_a_400_not_a_500(client: httpx.Client) -> None:
    for body in (b"", b"OZS1", b"\xff" * 100, b'{"json": true}'):
        reply = client.post("/v1/documents", content=body, headers=OCTETS)
        assert reply.status_code == 400, body
        assert reply.json()["reason"] == "malformed"


def test_a_sender_not_on_the_trust_list_is_a_403(fed: Federation, client: httpx.Client) -> None:
    from tests.transport.test_inbox import _stranger  # noqa: PLC0415

    reply = client.post("/v1/documents", content=_stranger(fed), headers=OCTETS)
    assert reply.status_code == 403
    assert reply.json() == {"reason": "unknown_sender", "detail": "XXX-NODE is not known"}


def test_an_oversized_body_is_a_413(store: Engine, client: httpx.Client) -> None:
    reply = client.post("/v1/documents", content=b"OZS1" + bytes(70 * 1024), headers=OCTETS)
    assert reply.status_code == 413 and reply.json()["reason"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no content-length: counted while read
        for _ in range(70):
            yield bytes(1024)

    reply = client.post("/v1/documents", content=chunks(), headers=OCTETS)
    assert reply.status_code == 413
    assert counts(store) == Counts(0, 0, 0)


def test_another_media_type_is_a_415(client: httpx.Client) -> None:
    reply = client.post("/v1/documents", json={"a": 1})
    assert reply.status_code == 415


def test_health(fed: Federation, client: httpx.Client) -> None:
    reply = client.get("/v1/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "node": "RUS-MVD-NODE", "trust_list_version": 3}


def test_the_openapi_document_describes_the_api(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/documents"]["post"]
    assert "application/octet-stream" in post["requestBody"]["content"]
    assert {"200", "400", "403", "413"} <= set(post["responses"])
    assert "/v1/health" in spec["paths"]
