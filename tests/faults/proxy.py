"""A fault-injecting HTTP/1.1 proxy on loopback, for the delivery fault test.

It sits between a sender's worker and a receiving node's API and, for each request, draws
from a seeded ``random.Random`` what to do with it:

* ``drop_request``: the request is read and thrown away, the connection closed: nothing
  reaches the receiver and the sender sees the connection reset;
* ``drop_reply``: the request is forwarded, the receiver stores the document, and its reply
  is thrown away: the sender does not know it was delivered;
* ``delay``: forwarded after a pause of up to ``max_delay`` seconds;
* ``duplicate``: forwarded twice, one after the other; the sender gets the second answer
  (for a document the receiver accepted, the original receipt again);
* ``reorder``: held back and forwarded only after the next request has been forwarded
  (or after ``max_delay`` if none comes); the sender sees the connection closed, and the
  receiver gets the two documents in the opposite order.

Everything else is forwarded as it is. A receiver that does not answer (killed, restarting)
makes the proxy answer 502. Every connection carries one request (``Connection: close``).
Only loopback addresses are used; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import random
import socket
import socketserver
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

FAULTS = ("drop_request", "drop_reply", "delay", "duplicate", "reorder")
_MAX_HEADER = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
_TIMEOUT = 10.0


@dataclass
class FaultRates:
    """The probability of each fault for one request; the rest is forwarded untouched."""

    drop_request: float = 0.05
    drop_reply: float = 0.05
    delay: float = 0.05
    duplicate: float = 0.05
    reorder: float = 0.03
    max_delay: float = 0.05

    def draw(self, rng: random.Random) -> str | None:
        x = rng.random()
        for name in FAULTS:
            x -= getattr(self, name)
            if x < 0:
                return name
        return None


@dataclass
class _Request:
    head: bytes  # request line and headers, without the final blank line
    body: bytes


@dataclass
class FaultProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``upstream_port`` on 127.0.0.1."""

    upstream_port: int
    seed: int
    rates: FaultRates = field(default_factory=FaultRates)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._held: list[_Request] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def flush(self) -> None:
        """Forward the requests still held back for reordering."""
        with self._lock:
            held, self._held = self._held, []
        for request in held:
            self._forward(request)

    # -- one connection ------------------------------------------------------------------

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(_TIMEOUT)
        request = _read_request(client)
        if request is None:
            return
        with self._lock:
            fault = self.rates.draw(self._rng)
            delay = self._rng.uniform(0, self.rates.max_delay)
            self.counts["requests"] += 1
            if fault is not None:
                self.counts[fault] += 1
            held, self._held = self._held, []
            if fault == "reorder":
                self._held.append(request)
        if fault == "drop_request":
            reply = None
        elif fault == "reorder":
            timer = threading.Timer(self.rates.max_delay, self.flush)
            timer.daemon = True
            timer.start()
            reply = None
        else:
            if fault == "delay":
                time.sleep(delay)
            reply = self._forward(request)
            if fault == "duplicate":
                reply = self._forward(request)
            if fault == "drop_reply":
                reply = None
        for late in held:  # the earlier request held back arrives after this one
            self._forward(late)
        if reply is not None:
            with contextlib.suppress(OSError):
                client.sendall(reply)

    def _forward(self, request: _Request) -> bytes:
        """Send ``request`` to the receiver; its raw reply, or a 502 if it does not answer."""
        try:
            with socket.create_connection(
                ("127.0.0.1", self.upstream_port), timeout=_TIMEOUT
            ) as up:
                up.sendall(request.head + b"\r\n\r\n" + request.body)
                chunks = []
                while chunk := up.recv(65536):
                    chunks.append(chunk)
            reply = b"".join(chunks)
            if reply:
                return reply
        except OSError:
            pass
        with self._lock:
            self.counts["upstream_down"] += 1
        body = b'{"reason": "bad_gateway", "detail": "the receiver did not answer"}'
        return (
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )


def _read_request(client: socket.socket) -> _Request | None:
    """Read one request (Content-Length body only); ``None`` if the client went away."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk or len(data) > _MAX_HEADER:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        length = 0
        kept = [lines[0]]
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() not in {b"connection", b"keep-alive"}:
                kept.append(line)
        kept.append(b"connection: close")
        if length > _MAX_BODY:
            return None
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                return None
            body += chunk
    except (OSError, ValueError):
        return None
    return _Request(b"\r\n".join(kept), body[:length])
