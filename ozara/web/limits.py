"""How much a browser may send: checked before any form is parsed.

Starlette spools uploaded files to disk as it reads them, with no limit of its own, so a
single post could fill the node's disk before any page looks at it. Every request with a
body must therefore say its length (browsers always do for forms) and stay under
``MAX_BODY_BYTES``; others are answered 411 or 413 without reading a byte of the body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

#: A request's files (at most 24 MiB in all, ``services.requests.MAX_ATTACHMENT_BYTES``) in
#: a multipart form, with its fields and boundaries.
MAX_BODY_BYTES = 26 * 1024 * 1024
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None:
            await _refuse(send, 411, "Length Required: give the request's Content-Length.")
            return
        try:
            declared = int(length)
        except ValueError:
            await _refuse(send, 400, "Bad Request: Content-Length is not a number.")
            return
        if declared > self.max_bytes:
            limit = self.max_bytes // 2**20
            await _refuse(send, 413, f"Payload Too Large: at most {limit} MiB per form.")
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})
