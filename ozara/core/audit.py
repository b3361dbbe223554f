"""The audit chain's rules: when a chain of entries is intact, and how a break is named.

Every audit entry carries the hash of the entry before it (``prev_hash``; the first entry
carries ``GENESIS``) and its own hash (``entry_hash``), computed over its content and
``prev_hash``; ids run 1, 2, 3, ... without gaps. Walking the entries in id order, the first
entry that fails one of these rules is the first broken one:

* its id is not the next one: the entries in between were **removed**;
* its content no longer gives its hash: it was **altered** (or, when the content gives its
  hash under another id, it was moved: **reordered**; the store finds out which);
* it is intact, but the entry before it no longer has the hash it was chained to: the entry
  before it was altered and given a new hash (**altered**);
* a signed checkpoint names another hash for it: history up to it was **rewritten**, hashes
  and all, after the checkpoint was signed.

Pure: the hashes are computed by the caller (``ozara.store.audit``), which hands each entry
to a ``ChainWalker`` as a ``Link``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


class Problem(StrEnum):
    ALTERED = "altered"
    REMOVED = "removed"
    REORDERED = "reordered"
    REWRITTEN = "rewritten"


@dataclass(frozen=True, slots=True)
class Link:
    """One entry as stored, with the hash its stored content gives now."""

    entry_id: int
    prev_hash: str
    entry_hash: str
    computed_hash: str
    at: str  # when the entry says it was written (RFC 3339, UTC), for the report


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken entry: what was expected there and what was found."""

    entry_id: int
    problem: Problem
    expected: str
    found: str
    at: str | None = None
    note: str = ""

    def describe(self) -> str:
        when = f", written {self.at}" if self.at else ""
        note = f": {self.note}" if self.note else ""
        return (
            f"entry #{self.entry_id} {self.problem.value}{when}{note} "
            f"(expected {self.expected}, found {self.found})"
        )


@dataclass(frozen=True, slots=True)
class Report:
    """What a verification checked, and the first broken entry if any."""

    checked: int
    first_id: int | None
    last_id: int | None
    last_hash: str | None
    checkpoints: int  # checkpoints compared with the chain
    broken: Break | None
    #: The highest entry a verified signature vouches for (an extract's checkpoint).
    anchored_to: int | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


class ChainWalker:
    """Checks entries handed to it in id order; ``feed`` returns the first break.

    ``anchor`` is the hash the first entry must be chained to (``GENESIS`` from the start of
    the log, the entry before otherwise); ``None`` trusts the first entry's ``prev_hash``
    (a range whose predecessor is not at hand).
    """

    def __init__(self, first_id: int, anchor: str | None) -> None:
        self.next_id = first_id
        self.last_hash = anchor
        self.last_id: int | None = None
        self.last_at: str | None = None
        self.first_id: int | None = None
        self.checked = 0

    def feed(self, link: Link) -> Break | None:
        if link.entry_id != self.next_id:
            missing = self.next_id
            last = link.entry_id - 1
            span = f"#{missing}" if last == missing else f"#{missing} to #{last}"
            return Break(
                missing,
                Problem.REMOVED,
                expected=f"entry #{missing}",
                found=f"entry #{link.entry_id}",
                note=f"{span} missing (a gap in the ids)",
            )
        if link.computed_hash != link.entry_hash:
            return Break(
                link.entry_id,
                Problem.ALTERED,
                expected=link.entry_hash,
                found=link.computed_hash,
                at=link.at,
                note="its content no longer gives its hash",
            )
        if self.last_hash is not None and link.prev_hash != self.last_hash:
            if self.last_id is None:  # the first entry of the walk: nothing before to blame
                return Break(
                    link.entry_id,
                    Problem.ALTERED,
                    expected=self.last_hash,
                    found=link.prev_hash,
                    at=link.at,
                    note="not chained to the entry before it",
                )
            return Break(
                self.last_id,
                Problem.ALTERED,
                expected=link.prev_hash,
                found=self.last_hash,
                at=self.last_at,
                note=f"its hash is not the one entry #{link.entry_id} was chained to",
            )
        self.advance(1, link.entry_id, link.entry_hash, link.at)
        return None

    def advance(self, count: int, last_id: int, last_hash: str, last_at: str) -> None:
        """Record ``count`` entries the caller checked in bulk against the same rules."""
        if self.first_id is None:
            self.first_id = self.next_id
        self.checked += count
        self.next_id = last_id + 1
        self.last_id, self.last_hash, self.last_at = last_id, last_hash, last_at

    def end(self, head_id: int, head_hash: str | None) -> Break | None:
        """After the last entry: it must be entry ``head_id``, with hash ``head_hash`` when
        given (the chain's head): nothing was cut off the end."""
        last_id = self.last_id if self.last_id is not None else self.next_id - 1
        if last_id < head_id:
            span = f"#{last_id + 1}" if head_id == last_id + 1 else f"#{last_id + 1} to #{head_id}"
            return Break(
                last_id + 1,
                Problem.REMOVED,
                expected=f"entries up to #{head_id} (the chain's head)",
                found=f"entries up to #{last_id}",
                note=f"{span} missing at the end",
            )
        if head_hash is not None and self.last_id == head_id and self.last_hash != head_hash:
            return Break(
                head_id,
                Problem.ALTERED,
                expected=head_hash,
                found=self.last_hash or "none",
                at=self.last_at,
                note="the chain's head records another hash for the last entry",
            )
        return None

    def report(self, checkpoints: int, broken: Break | None) -> Report:
        return Report(
            self.checked, self.first_id, self.last_id, self.last_hash, checkpoints, broken
        )


def checkpoint_break(
    last_id: int, signed_hash: str, signed_at: str, stored_hash: str | None
) -> Break | None:
    """A checkpoint signed over entry ``last_id`` against the entry's hash now."""
    if stored_hash == signed_hash:
        return None
    return Break(
        last_id,
        Problem.REWRITTEN,
        expected=signed_hash,
        found=stored_hash or "no entry",
        at=None,
        note=f"history up to this entry differs from the checkpoint signed {signed_at}",
    )
