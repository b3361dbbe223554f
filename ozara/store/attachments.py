"""The stored files of requests (``tables.attachments``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

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
                media_type=file.media_type, size=file.size, content=file.content,
            )
        )  # fmt: skip

    def of(self, request_id: str) -> list[StoredFile]:
        rows = self.conn.execute(
            select(attachments).where(attachments.c.request_id == request_id)
            .order_by(attachments.c.filename, attachments.c.sha256)
        ).mappings()  # fmt: skip
        return [
            StoredFile(r["sha256"], r["filename"], r["media_type"], r["size"], r["content"])
            for r in rows
        ]

    def get(self, request_id: str, sha256: str) -> StoredFile | None:
        r = self.conn.execute(
            select(attachments).where(
                attachments.c.request_id == request_id, attachments.c.sha256 == sha256
            )
        ).mappings().first()  # fmt: skip
        if r is None:
            return None
        return StoredFile(r["sha256"], r["filename"], r["media_type"], r["size"], r["content"])
