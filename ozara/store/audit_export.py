"""Extracts of the audit log for an auditor, verifiable offline (docs/audit.md).

An extract carries entries with their hashes and the latest checkpoint over one of them;
``verify_export`` checks it with the node's public key alone, no database needed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Engine, func, select

from ozara.core.audit import (
    GENESIS,
    Break,
    ChainWalker,
    Link,
    Report,
    checkpoint_break,
)
from ozara.documents.canonical import CanonicalJSONError, JSONObject, JSONValue
from ozara.documents.fields import (
    FieldError,
    check_keys,
    format_time,
    get_hex64,
    get_int,
    get_list,
)
from ozara.store import tables as t
from ozara.store.audit import ENTRY_FIELDS, bad_checkpoint, canonical_entry
from ozara.store.audit_bytes import load_json
from ozara.store.audit_checkpoints import (
    SELECT_HEAD,
    Checkpoint,
    CheckpointInvalid,
    check_shape,
    verify_checkpoint,
)

# -- extracts for an auditor -------------------------------------------------------------

EXTRACT_TYPE = "ozara-audit-extract"
_EXTRACT_KEYS = ("type", "from_id", "to_id", "prev_hash", "entries", "checkpoint")
_EXTRACT_ENTRY_KEYS = (*ENTRY_FIELDS, "entry_hash")


class ExtractInvalid(ValueError):
    """An extract that is not even shaped like one (missing members, wrong types)."""


def _entry_json(row: Any) -> JSONObject:
    """The entry as hashed (its bytes parsed), with its hash: what the auditor checks is
    what was hashed, not the columns generated from it."""
    try:
        members = load_json(row.canonical.decode("utf-8"))
    except ValueError:
        members = None
    if not isinstance(members, dict):  # bytes no JSON: the columns, which cannot match
        members = {name: getattr(row, name) for name in ENTRY_FIELDS}
        members |= {"at": format_time(row.at), "details": load_json(json.dumps(row.details))}
    return {**members, "entry_hash": row.entry_hash}


def export(engine: Engine, from_id: int, to_id: int | None = None) -> JSONObject:
    """Entries ``from_id`` to ``to_id`` (cut at the head) with their hashes, and the latest
    checkpoint over an entry among them, which anchors every entry up to it.

    ``to_id`` defaults to the entry of the latest checkpoint (the head if there is none), so
    that the whole extract is anchored.
    """
    log, cp = t.audit_log.c, t.audit_checkpoints.c
    with engine.connect() as conn:
        head = conn.execute(SELECT_HEAD).one()
        if to_id is None:
            latest = conn.execute(select(func.max(cp.last_id))).scalar()
            to_id = int(head.last_id if latest is None else latest)
        if from_id < 1 or to_id < from_id:
            raise ValueError(f"no such range: #{from_id} to #{to_id}")
        to_id = min(to_id, int(head.last_id))
        if to_id < from_id:
            raise ValueError(f"the log ends at entry #{head.last_id}")
        rows = conn.execute(
            select(t.audit_log).where(log.id >= from_id, log.id <= to_id).order_by(log.id)
        )
        entries: list[JSONValue] = [_entry_json(row) for row in rows]
        anchor = conn.execute(
            select(cp.signed)
            .where(cp.last_id >= from_id, cp.last_id <= to_id)
            .order_by(cp.last_id.desc(), cp.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    first = entries[0] if entries else None
    prev_hash = first["prev_hash"] if isinstance(first, dict) else GENESIS
    return {
        "type": EXTRACT_TYPE,
        "from_id": from_id,
        "to_id": to_id,
        "prev_hash": prev_hash,
        "entries": entries,
        "checkpoint": anchor,
    }


def verify_export(extract: object, public_key: bytes) -> Report:
    """Check an extract offline: every hash, every link, and the checkpoint's signature.

    ``Report.anchored_to`` is the last entry the verified checkpoint vouches for (``None``:
    no checkpoint, the extract is only consistent with itself). Raises ``ExtractInvalid``
    for a value not shaped like an extract.
    """
    if not isinstance(extract, dict):
        raise ExtractInvalid("an extract is a JSON object")
    try:
        check_shape(extract, _EXTRACT_KEYS, EXTRACT_TYPE)
        from_id, to_id = get_int(extract, "from_id", minimum=1), get_int(extract, "to_id")
        anchor = get_hex64(extract, "prev_hash")
        entries = get_list(extract, "entries")
    except FieldError as exc:
        raise ExtractInvalid(str(exc)) from None
    walker = ChainWalker(from_id, anchor)
    hashes: dict[int, str] = {}
    broken: Break | None = None
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ExtractInvalid(f"entries[{n}]: expected an object")
        try:
            check_keys(entry, _EXTRACT_ENTRY_KEYS, f"entries[{n}]")
            link = Link(
                get_int(entry, "id", minimum=1),
                get_hex64(entry, "prev_hash"),
                get_hex64(entry, "entry_hash"),
                hashlib.sha256(canonical_entry(entry)).hexdigest(),
                str(entry["at"]),
            )
        except (FieldError, CanonicalJSONError) as exc:
            raise ExtractInvalid(f"entries[{n}]: {exc}") from None
        broken = walker.feed(link)
        if broken is not None:
            break
        hashes[link.entry_id] = link.entry_hash
    if broken is None:
        broken = walker.end(to_id, None)
    anchored_to: int | None = None
    if extract["checkpoint"] is not None:
        try:
            cp = Checkpoint.from_json(extract["checkpoint"])
        except CheckpointInvalid as exc:
            raise ExtractInvalid(f"checkpoint: {exc}") from None
        if not from_id <= cp.last_id <= to_id:
            raise ExtractInvalid(f"checkpoint: entry #{cp.last_id} is not in the extract")
        try:
            verify_checkpoint(cp, public_key)
        except CheckpointInvalid as exc:
            return walker.report(1, bad_checkpoint(cp.last_id, f"the extract's checkpoint: {exc}"))
        if broken is None or cp.last_id < broken.entry_id:
            signed_break = checkpoint_break(
                cp.last_id, cp.last_hash, format_time(cp.at), hashes.get(cp.last_id)
            )
            broken = signed_break or broken
            anchored_to = None if signed_break else cp.last_id
    report = walker.report(0 if extract["checkpoint"] is None else 1, broken)
    return Report(
        report.checked, report.first_id, report.last_id, report.last_hash, report.checkpoints,
        report.broken, anchored_to if report.broken is None else None,
    )  # fmt: skip
