"""Rewrite every value encrypted at rest under the active key (``ozara keys rotate``).

After a new key becomes active, old values stay readable under their old key; this pass
rewrites them (and any value still in clear from before encryption was turned on) so that
the old key can be retired. Each row is rewritten in its own short transaction, so the node
keeps working, and a pass interrupted half-way is simply run again. Besides files, the
columns are JSON documents (``{"enc": ...}``) and a text column (the TOTP secret): each
``EncryptedColumn`` says which form its values take.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Table, select, update

from ozara.store import at_rest
from ozara.store import tables as t


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column whose values are stored through ``at_rest.seal``, and how each is placed."""

    table: Table
    column: str
    #: The primary-key columns that, with the table and column, bind a value to its row.
    key: tuple[str, ...]
    #: How the column holds a value: the ciphertext itself (binary), ``at_rest.TEXT_PREFIX``
    #: and base64 (text), or ``{"enc": base64}`` in place of the document (JSON).
    form: Literal["bytes", "text", "json"] = "bytes"

    def aad(self, row_key: tuple[object, ...]) -> str:
        return ":".join([f"{self.table.name}.{self.column}", *map(str, row_key)])

    def raw(self, stored: Any) -> bytes:
        """The bytes the stored value stands for (ciphertext, or the value in clear)."""
        if self.form == "text":
            return at_rest.text_bytes(stored)
        if self.form == "json":
            return at_rest.json_bytes(stored)
        return bytes(stored)

    def rewritten(self, conn: Connection, stored: Any, aad: str) -> Any:
        """The stored value again, encrypted under the active key."""
        if self.form == "text":
            return at_rest.seal_text(conn, at_rest.unseal_text(conn, stored, aad), aad)
        if self.form == "json":
            return at_rest.seal_json(conn, at_rest.unseal_json(conn, stored, aad), aad)
        return at_rest.seal(conn, at_rest.unseal(conn, stored, aad), aad)


#: Every column encrypted at rest. Adding one here makes ``reencrypt`` cover it.
ENCRYPTED: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(t.attachments, "content", ("request_id", "sha256")),
    EncryptedColumn(t.literature_files, "content", ("document_id",)),
    EncryptedColumn(t.accounts, "totp_secret", ("officer_id",), "text"),
    EncryptedColumn(t.requests, "content", ("id",), "json"),
    EncryptedColumn(t.records, "content", ("id",), "json"),
    EncryptedColumn(t.outbox, "document", ("document_id",), "json"),
    EncryptedColumn(t.inbox, "document", ("document_id",), "json"),
    EncryptedColumn(t.request_events, "details", ("id",), "json"),
    EncryptedColumn(t.operations, "content", ("id",), "json"),
    EncryptedColumn(t.training_events, "content", ("id",), "json"),
    EncryptedColumn(t.research_projects, "content", ("id",), "json"),
)

Progress = Callable[[str, int, int], None]


def reencrypt(engine: Engine, progress: Progress | None = None) -> dict[str, int]:
    """Rewrite what is not under the active key; returns the count rewritten per column."""
    done: dict[str, int] = {}
    for spec in ENCRYPTED:
        name = f"{spec.table.name}.{spec.column}"
        keys = [spec.table.c[k] for k in spec.key]
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(select(*keys).order_by(*keys))]
        done[name] = 0
        for n, row_key in enumerate(rows, 1):
            with engine.begin() as conn:
                where = [c == v for c, v in zip(keys, row_key, strict=True)]
                # Locked until the rewrite (PostgreSQL): a new version written meanwhile (a
                # record replaced, a document resealed) is not overwritten with the old one.
                query = select(spec.table.c[spec.column]).where(*where).with_for_update()
                stored = conn.execute(query).scalar()
                if stored is not None and at_rest.needs_rewrite(conn, spec.raw(stored)):
                    value = spec.rewritten(conn, stored, spec.aad(row_key))
                    conn.execute(update(spec.table).where(*where).values({spec.column: value}))
                    done[name] += 1
            if progress is not None:
                progress(name, n, len(rows))
    return done


def keys_in_use(engine: Engine) -> dict[str | None, int]:
    """How many stored values are under each key id (``None``: in clear)."""
    counts: dict[str | None, int] = {}
    for spec in ENCRYPTED:
        with engine.connect() as conn:
            for (stored,) in conn.execute(select(spec.table.c[spec.column])):
                if stored is None:
                    continue
                kid = _key_of(spec.raw(stored))
                counts[kid] = counts.get(kid, 0) + 1
    return counts


def _key_of(stored: bytes) -> str | None:
    if not at_rest.is_encrypted(stored):
        return None
    n = stored[len(at_rest.MAGIC)]
    start = len(at_rest.MAGIC) + 1
    return stored[start : start + n].decode()
