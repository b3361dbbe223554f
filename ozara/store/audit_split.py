"""A long audit log on SQLite verified in two processes, each checking half of it.

On PostgreSQL the server hashes in parallel (``audit_pg``); on SQLite Python does all the
hashing, and one process hashes at one core's speed. From ``SPLIT_AT`` entries on, a second
process checks the second half of the range with ``fast_batch`` while the caller walks the
first half: each entry's bytes against its hash, the ids, the links, the first entry chained
to the stored hash of the last entry of the first half. It reports where it stopped at each
checkpoint's entry and at the end (``Stop``), so that the caller compares the checkpoints
where the row-by-row walk compares them. A second process never gives a verdict: when a page
is not intact at C speed (or the process fails), it says so and the caller walks that half
itself, with the reports of a broken entry the walk gives.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

from ozara.core.audit import ChainWalker
from ozara.store.audit_bytes import SQLITE_PAGE, at_of, fast_batch

#: Below this many entries a second process costs more than it saves (its start).
SPLIT_AT = 200_000


class Half(NamedTuple):
    """Entries ``first`` to ``upto`` of the log in ``database``, chained to ``anchor``;
    ``marks``: the ids of the checkpoints' entries."""

    database: str
    first: int
    upto: int
    anchor: str
    batch: int
    marks: tuple[int, ...]


class Stop(NamedTuple):
    """The second half checked up to entry ``last_id``, whose hash and instant are these."""

    last_id: int
    last_hash: str
    at: str


def check_half(half: Half) -> list[Stop] | None:
    """The half, every page intact at C speed: where it stops at each id of ``marks`` and
    at the end; None where a page is not (the caller walks it)."""
    first, upto = half.first, half.upto
    uri = Path(half.database).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        walker = ChainWalker(first, half.anchor)
        stops: list[Stop] = []
        wanted = sorted(m for m in half.marks if first <= m <= upto)
        after = first - 1
        while after < upto:
            rows = conn.execute(SQLITE_PAGE, (after, upto, half.batch)).fetchall()
            if not rows or not fast_batch(rows, walker):
                return None
            while wanted and wanted[0] <= rows[-1][0]:
                row = rows[wanted.pop(0) - rows[0][0]]
                stops.append(Stop(int(row[0]), str(row[2]), at_of(row)))
            after = rows[-1][0]
        if walker.last_id != upto or walker.last_hash is None or walker.last_at is None:
            return None
        return [*stops, Stop(upto, walker.last_hash, walker.last_at)]
    finally:
        conn.close()


def _serve(out: Connection, half: Half) -> None:
    try:
        out.send(check_half(half))
    except Exception:  # the caller walks the half itself: nothing is lost
        out.send(None)
    finally:
        out.close()


class SecondHalf:
    """``check_half`` running in a process of its own."""

    def __init__(self, half: Half) -> None:
        # fork starts in a blink, but forking a process with other threads running (a
        # serving node) can copy a lock another thread holds: spawn then.
        method = "fork" if threading.active_count() == 1 else "spawn"
        context = multiprocessing.get_context(method)
        self._results, sending = context.Pipe(duplex=False)
        self._process = context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(sending, half),
            name="audit-second-half",
            daemon=True,
        )
        self._process.start()
        sending.close()

    def result(self) -> list[Stop] | None:
        try:
            found: list[Stop] | None = self._results.recv()
        except (EOFError, OSError):
            found = None
        self._process.join()
        return found

    def cancel(self) -> None:
        self._process.terminate()
        self._process.join()
        self._results.close()


def split_point(database: str | None, first: int, upto: int) -> int | None:
    """Where the second process takes over, or None where one process is better (a short
    range, one core, a database that is not a file)."""
    if (
        not database
        or database == ":memory:"
        or upto - first + 1 < SPLIT_AT
        or (multiprocessing.cpu_count() or 1) < 2
    ):
        return None
    return first + (upto - first + 1) // 2
