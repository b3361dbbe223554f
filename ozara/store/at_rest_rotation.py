"""Rewrite every value encrypted at rest under the active key (``ozara keys rotate``).

After a new key becomes active, old values stay readable under their old key; this pass
rewrites them (and any value still in clear from before encryption was turned on) so that
the old key can be retired. Each row is rewritten in its own short transaction, so the node
keeps working, and a pass interrupted half-way is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, Table, select, update

from ozara.store import at_rest
from ozara.store import tables as t


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column whose values are stored through ``at_rest.seal``, and how each is placed."""

    table: Table
    column: str
    #: The primary-key columns that, with the table and column, bind a value to its row.
    key: tuple[str, ...]

    def aad(self, row_key: tuple[object, ...]) -> str:
        return ":".join([f"{self.table.name}.{self.column}", *map(str, row_key)])


#: Every column encrypted at rest. Adding one here makes ``reencrypt`` cover it.
ENCRYPTED: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(t.attachments, "content", ("request_id", "sha256")),
    EncryptedColumn(t.literature_files, "content", ("document_id",)),
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
                stored = conn.execute(select(spec.table.c[spec.column]).where(*where)).scalar()
                if stored is not None and at_rest.needs_rewrite(conn, stored):
                    aad = spec.aad(row_key)
                    value = at_rest.seal(conn, at_rest.unseal(conn, stored, aad), aad)
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
                kid = _key_of(stored)
                counts[kid] = counts.get(kid, 0) + 1
    return counts


def _key_of(stored: bytes) -> str | None:
    if not at_rest.is_encrypted(stored):
        return None
    n = stored[len(at_rest.MAGIC)]
    start = len(at_rest.MAGIC) + 1
    return stored[start : start + n].decode()
