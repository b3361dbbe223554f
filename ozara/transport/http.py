"""How a sealed document travels: the ``Transport`` protocol and its two implementations.

``HttpxTransport`` posts to a node's ``/v1/documents`` (``ozara.api.node``), optionally with
a client certificate for mutual TLS. ``InMemoryTransport`` hands the bytes to a function in
the same process (the receiving node's ``Inbox``), for unit tests, and can be told to fail.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

DOCUMENTS_PATH = "/v1/documents"
MEDIA_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Response:
    """What came back: the HTTP status and body (a receipt, or a JSON error)."""

    status: int
    body: bytes
    content_type: str = MEDIA_TYPE


class TransportError(Exception):
    """Nothing came back: connection refused or reset, timeout, TLS failure."""


class Transport(Protocol):
    def post(self, endpoint: str, sealed: bytes) -> Response:
        """Send one sealed document to the node at ``endpoint`` (its trust-list URL)."""
        ...


def documents_url(endpoint: str) -> str:
    return endpoint.rstrip("/") + DOCUMENTS_PATH


def client_tls_context(
    cert: str | None = None, key: str | None = None, ca: str | None = None
) -> ssl.SSLContext:
    """A client context: verify peers against ``ca`` (else the system's), present ``cert``."""
    context = ssl.create_default_context(cafile=ca)
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


class HttpxTransport:
    """POST over HTTP(S) with ``httpx``; one connection pool for the worker's lifetime."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        tls: ssl.SSLContext | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self._client = client or httpx.Client(
            timeout=timeout, verify=tls if tls is not None else True
        )

    def post(self, endpoint: str, sealed: bytes) -> Response:
        try:
            reply = self._client.post(
                documents_url(endpoint), content=sealed, headers={"content-type": MEDIA_TYPE}
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{exc.__class__.__name__}: {exc}") from None
        return Response(
            status=reply.status_code,
            body=reply.content,
            content_type=reply.headers.get("content-type", ""),
        )

    def close(self) -> None:
        self._client.close()


Handler = Callable[[bytes], Response]


@dataclass
class InMemoryTransport:
    """Delivers by calling the handler registered for the endpoint (a node's inbox).

    ``fail_next`` makes the next calls raise ``TransportError`` without delivering;
    ``lose_replies`` delivers but loses the next replies (the receiver has the document,
    the sender does not know), so a test can see retries answered with the original receipt.
    """

    handlers: dict[str, Handler] = field(default_factory=dict)
    fail_next: int = 0
    lose_replies: int = 0
    calls: list[str] = field(default_factory=list)

    def post(self, endpoint: str, sealed: bytes) -> Response:
        self.calls.append(endpoint)
        if self.fail_next > 0:
            self.fail_next -= 1
            raise TransportError("connection refused (injected)")
        handler = self.handlers.get(endpoint)
        if handler is None:
            raise TransportError(f"no node at {endpoint}")
        response = handler(sealed)
        if self.lose_replies > 0:
            self.lose_replies -= 1
            raise TransportError("connection reset before the reply (injected)")
        return response
