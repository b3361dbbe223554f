"""The stored files of requests (``tables.attachments``), encrypted at rest under the node's
keyring where it has one (ozara/store/at_rest.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from ozara.store import at_rest
from ozara.store.tables import attachments


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    filename: str
    media_type: str
    size: int
    content: bytes


@dataclass(slots=True)
class AttachmentRepository:
    conn: Connection

    def add(self, request_id: str, file: StoredFile) -> None:
        self.conn.execute(
            insert(attachments).values(
                request_id=request_id, sha256=file.sha256, filename=file.filename,
                media_type=file.media_type, size=file.size,
                content=at_rest.seal(self.conn, file.content, _place(request_id, file.sha256)),
            )
        )  # fmt: skip

    def of(self, request_id: str) -> list[StoredFile]:
        rows = self.conn.execute(
            select(attachments).where(attachments.c.request_id == request_id)
            .order_by(attachments.c.filename, attachments.c.sha256)
        ).mappings()  # fmt: skip
        return [self._file(r) for r in rows]

    def get(self, request_id: str, sha256: str) -> StoredFile | None:
        r = self.conn.execute(
            select(attachments).where(
                attachments.c.request_id == request_id, attachments.c.sha256 == sha256
            )
        ).mappings().first()  # fmt: skip
        return None if r is None else self._file(r)

    def _file(self, r: Any) -> StoredFile:
        content = at_rest.unseal(self.conn, r["content"], _place(r["request_id"], r["sha256"]))
        # The file's hash is what the signatory signed: a mismatch is never served.
        if hashlib.sha256(content).hexdigest() != r["sha256"]:
            raise at_rest.AtRestError(f"the stored file {r['sha256']} no longer has its hash")
        return StoredFile(r["sha256"], r["filename"], r["media_type"], r["size"], content)


def _place(request_id: str, sha256: str) -> str:
    """Where a file's ciphertext belongs (``at_rest_rotation.ENCRYPTED`` spells it the same)."""
    return f"attachments.content:{request_id}:{sha256}"
