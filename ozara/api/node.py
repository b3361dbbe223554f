"""The node-to-node API (issue 3, point 5): how another node hands this one a document.

``POST /v1/documents``: the body is one sealed document (``application/octet-stream``); the
answer is the signed receipt (200, octet-stream), the same receipt again for a duplicate, or
a JSON error ``{"reason", "detail"}``: 400 for a document malformed or tampered with, 403
for a sender, key or signature this node does not trust, 413 over the size limit, 415 for
another media type, 503 when the database is unavailable (the sender retries). Bad input is
never a 500. ``GET /v1/health`` says whether the node and its database answer.
The OpenAPI document is at ``/openapi.json``.

Who may connect is decided below HTTP (mutual TLS, ``ozara serve --tls-client-ca``) and again
for each document by its signature against the trust list.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from ozara.documents import DocumentRejected
from ozara.transport.http import MEDIA_TYPE
from ozara.transport.inbox import TOO_LARGE, DocumentTooLarge, Inbox, rejection_status


class ErrorBody(BaseModel):
    reason: str
    detail: str


class Health(BaseModel):
    status: str
    node: str
    trust_list_version: int


def _error(status: int, reason: str, detail: str) -> JSONResponse:
    return JSONResponse(ErrorBody(reason=reason, detail=detail).model_dump(), status_code=status)


_SEALED_BODY = {
    "requestBody": {
        "required": True,
        "description": "One sealed document (docs/crypto.md: magic, clear header, HPKE).",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The signed receipt, sealed to the sender (the original one for a "
        "duplicate).",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    },
    400: {"model": ErrorBody, "description": "Malformed or tampered with."},
    403: {"model": ErrorBody, "description": "Sender, key or signature not trusted."},
    413: {"model": ErrorBody, "description": "Larger than this node accepts."},
    415: {"model": ErrorBody, "description": "Not application/octet-stream."},
    503: {"model": ErrorBody, "description": "The node's database is unavailable; retry."},
}


def create_app(inbox: Inbox) -> FastAPI:
    """The API of the node whose receiving side is ``inbox``."""
    app = FastAPI(
        title="Ozara node API",
        version="1",
        summary="Node-to-node exchange of signed, encrypted documents (CSTO Protocol, 2014).",
    )

    @app.post(
        "/v1/documents",
        response_class=Response,
        responses=_RESPONSES,
        openapi_extra=_SEALED_BODY,
        summary="Deliver one sealed document; get its signed receipt",
    )
    async def post_document(request: Request) -> Response:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != MEDIA_TYPE:
            return _error(415, "unsupported_media_type", f"send {MEDIA_TYPE}")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > inbox.max_bytes:
            return _error(413, TOO_LARGE, f"at most {inbox.max_bytes} bytes are accepted")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > inbox.max_bytes:
                return _error(413, TOO_LARGE, f"at most {inbox.max_bytes} bytes are accepted")
            chunks.append(chunk)
        try:
            accepted = await run_in_threadpool(inbox.accept, b"".join(chunks))
        except DocumentRejected as exc:
            return _error(rejection_status(exc.reason), exc.reason.value, exc.detail)
        except DocumentTooLarge as exc:
            return _error(413, TOO_LARGE, str(exc))
        except OperationalError:
            return _error(503, "unavailable", "the node's database is unavailable; retry")
        headers = {"ozara-duplicate": "true"} if accepted.duplicate else {}
        return Response(accepted.receipt, media_type=MEDIA_TYPE, headers=headers)

    @app.get(
        "/v1/health",
        response_model=Health,
        responses={503: {"model": ErrorBody}},
        summary="Whether the node and its database answer",
    )
    async def health() -> Health | JSONResponse:
        def probe() -> None:
            with inbox.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(probe)
        except OperationalError:
            return _error(503, "unavailable", "the node's database is unavailable")
        return Health(
            status="ok",
            node=inbox.keys.node_id,
            trust_list_version=inbox.trust().current.version,
        )

    return app
