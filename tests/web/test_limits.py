"""A post must say its length and stay under the limit, before any form is parsed."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from ozara.web.limits import MAX_BODY_BYTES
from tests.web.conftest import Web


def raw(web: Web, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send ``head`` and ``body`` as they are (httpx would fix a wrong length)."""
    url = urlsplit(web.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


def test_a_declared_body_over_the_limit_is_refused_unread(web: Web) -> None:
    head = (
        "POST /requests/new HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n"
    )
    status, body = raw(web, head)
    assert status == 413 and b"at most 26 MiB" in body


def test_a_body_without_its_length_is_refused(web: Web) -> None:
    head = (
        "POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    )
    status, body = raw(web, head, b"5\r\na=b&c\r\n0\r\n\r\n")
    assert status == 411 and b"Content-Length" in body


def test_a_form_under_the_limit_goes_through(web: Web) -> None:
    client = web.client
    page = client.get("/login")
    assert page.status_code == 200
    answer = client.post("/login", data={"officer_id": "x", "password": "y", "code": "1"})
    assert answer.status_code in {401, 403}  # judged by the sign-in, not by the limit
