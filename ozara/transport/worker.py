"""The delivery worker: sends due outbox rows until each is delivered or has failed.

One pass (``run_once``) takes the pending rows that are due, oldest first. Each row is first
*claimed* in a short transaction (``attempts`` + 1, due again after a lease), so a worker that
dies mid-send leaves the row to be retried once the lease runs out, and two workers never send
the same attempt; the send itself runs outside any transaction. Then:

* HTTP 200 with a receipt that verifies (signed by the recipient's listed key, naming this
  document id and content hash): ``delivered``, the receipt kept;
* a refusal the recipient cannot get over by itself (malformed, bad signature, a key expired,
  too large...): ``failed`` at once, with the reason;
* anything else (no connection, a timeout, 5xx, a receipt that does not verify, a recipient
  whose trust list is behind ours or ahead of ours): retried after a delay with exponential
  backoff and full jitter, ``uniform(0, min(cap, base * 2 ** (attempts - 1)))``; ``failed`` once
  ``max_attempts`` sends have been made.

With ``concurrency`` above 1, a pass goes ``concurrency`` rows at a time: they are claimed in
one transaction, sent at once by as many threads, and their outcomes recorded in one
transaction, so the sender's database commits twice per group instead of twice per row.
The claim still decides who sends a row, as between two workers. The transport must be
thread-safe (``HttpxTransport`` is).

Trust-list changes: a row queued under an older trust list than the one this node holds now
is sealed again under the current list before it is sent (same document id, a new content
hash and signature), as the recipient refuses a document sealed under a list it has
superseded. A recipient ahead of us is retried until our node adopts that list too.

The clock and the random source are injected: the tests give a hand-moved clock and a seeded
``random.Random``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from ozara.documents import NodeKeys, RejectReason, TrustState, seal
from ozara.documents.model import parse_envelope
from ozara.store import at_rest
from ozara.store.tables import outbox

from .http import Response, Transport, TransportError
from .outbox import DeliveryState, outbox_place
from .receipts import (
    ReceiptInvalid,
    UnknownRecipient,
    content_hash,
    recipient_entry,
    verify_receipt,
)

#: Refusals that may pass once the recipient holds our newer trust list: worth retrying.
RETRYABLE_REASONS = frozenset(
    {
        RejectReason.UNKNOWN_SENDER,
        RejectReason.SENDER_NOT_ON_TRUST_LIST,
        RejectReason.UNKNOWN_SIGNING_KEY,
        # Ours is older than the recipient's: once we adopt the new one, the row is resealed.
        RejectReason.SUPERSEDED_TRUST_LIST,
    }
)
_PENDING = DeliveryState.PENDING.value
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 15
    #: A claimed row is due again after this, should its worker die before recording.
    lease: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """Full jitter after ``attempts`` failed sends (AWS Architecture Blog, 2015)."""
        ceiling = min(
            self.cap.total_seconds(), self.base.total_seconds() * 2 ** min(attempts - 1, 60)
        )
        return timedelta(seconds=rng.uniform(0, ceiling))


@dataclass(frozen=True, slots=True)
class Outcome:
    document_id: UUID
    state: DeliveryState
    error: str | None = None


class DeliveryWorker:
    def __init__(
        self,
        engine: Engine,
        keys: NodeKeys,
        trust: Callable[[], TrustState],
        transport: Transport,
        *,
        clock: Callable[[], datetime],
        rng: random.Random,
        policy: RetryPolicy | None = None,
        batch: int = 100,
        concurrency: int = 1,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.engine = engine
        self.keys = keys
        self.trust = trust
        self.transport = transport
        self.clock = clock
        self.rng = rng
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.concurrency = concurrency
        self._rng_lock = threading.Lock()

    def run_once(self) -> list[Outcome]:
        """Send every pending row due now (up to ``batch``); return what became of each."""
        now = self.clock()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(outbox.c.document_id, outbox.c.attempts)
                .where(outbox.c.state == _PENDING, outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.next_attempt_at)
                .limit(self.batch)
            ).all()
        if self.concurrency == 1 or len(due) <= 1:
            outcomes = []
            for document_id, attempts in due:
                claimed = self._claim(document_id, attempts, now)
                if claimed is not None:
                    outcomes.append(self._deliver(claimed))
            return outcomes
        return self._run_concurrently([(str(d), int(a)) for d, a in due], now)

    def run_forever(self, stop: threading.Event, idle: float = 0.5) -> None:
        """Pass after pass until ``stop`` is set; wait ``idle`` seconds when nothing was due.

        A database error (a lock held too long, a restarting server) is logged and the pass
        tried again after ``idle``: the worker must not stop for good over it.
        """
        while not stop.is_set():
            try:
                busy = bool(self.run_once())
            except SQLAlchemyError:
                _log.exception("delivery pass failed; retrying in %s s", idle)
                busy = False
            if not busy:
                stop.wait(idle)

    def _run_concurrently(self, due: list[tuple[str, int]], now: datetime) -> list[Outcome]:
        """``concurrency`` rows at a time: claimed together, sent at once, recorded together."""
        outcomes: list[Outcome] = []
        size = self.concurrency
        with ThreadPoolExecutor(min(size, len(due)), thread_name_prefix="ozara-delivery") as pool:
            for start in range(0, len(due), size):
                claims = self._claim_all(due[start : start + size], now)
                results = list(pool.map(self._attempt, claims))
                self._record_all(
                    [(claim, values) for claim, (_, values) in zip(claims, results, strict=True)]
                )
                outcomes += [outcome for outcome, _ in results]
        return outcomes

    # -- claiming, sending, recording ----------------------------------------------------

    def _claim(self, document_id: str, attempts: int, now: datetime) -> _Claim | None:
        claimed = self._claim_all([(document_id, attempts)], now)
        return claimed[0] if claimed else None

    def _claim_all(self, rows: list[tuple[str, int]], now: datetime) -> list[_Claim]:
        """Claim the rows still as listed, in one short transaction (rows taken by another
        worker meanwhile are left out). Rows are locked in id order: no deadlock between two
        workers claiming overlapping rows on PostgreSQL."""
        claims = []
        with self.engine.begin() as conn:
            for document_id, attempts in sorted(rows):
                claimed = conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.document_id == document_id,
                        outbox.c.state == _PENDING,
                        outbox.c.attempts == attempts,
                    )
                    .values(attempts=attempts + 1, next_attempt_at=now + self.policy.lease)
                    .returning(
                        outbox.c.recipient,
                        outbox.c.sealed,
                        outbox.c.content_sha256,
                        outbox.c.document,
                    )
                ).first()
                if claimed is not None:  # else another worker took it
                    recipient, sealed, digest, document = claimed
                    document = _kept_document(conn, document_id, document)
                    claims.append(
                        _Claim(UUID(document_id), attempts + 1, recipient, sealed, digest, document)
                    )
        return claims

    def _deliver(self, claim: _Claim) -> Outcome:
        outcome, values = self._attempt(claim)
        self._record_all([(claim, values)])
        return outcome

    def _attempt(self, claim: _Claim) -> tuple[Outcome, dict[str, object]]:
        """Send the claimed row; what became of it, and the values to record."""
        trust = self.trust()
        resealed: dict[str, object] = {}
        try:
            claim, resealed = self._reseal_if_behind(claim, trust)
            endpoint = recipient_entry(trust, claim.recipient, self.clock()).endpoint
            response = self.transport.post(endpoint, claim.sealed)
        except (TransportError, UnknownRecipient) as exc:
            outcome, values = self._retry(claim, str(exc))
            return outcome, {**resealed, **values}
        if response.status == 200:
            try:
                verify_receipt(
                    response.body,
                    keys=self.keys,
                    trust=self.trust(),
                    now=self.clock(),
                    recipient=claim.recipient,
                    document_id=claim.document_id,
                    digest=claim.digest,
                )
            except ReceiptInvalid as exc:
                outcome, values = self._retry(claim, str(exc))
                return outcome, {**resealed, **values}
            delivered: dict[str, object] = {
                **resealed,
                "state": DeliveryState.DELIVERED.value,
                "delivered_at": self.clock(),
                "receipt": response.body,
                "last_error": None,
            }
            return Outcome(claim.document_id, DeliveryState.DELIVERED), delivered
        error, permanent = _refusal(response)
        outcome, values = self._fail(claim, error) if permanent else self._retry(claim, error)
        return outcome, {**resealed, **values}

    def _reseal_if_behind(
        self, claim: _Claim, trust: TrustState
    ) -> tuple[_Claim, dict[str, object]]:
        """The claim sealed under the current trust list, and the row's new values, if the
        row was queued under an older one (and kept its document); else as it is."""
        stored = claim.document
        if not isinstance(stored, dict):
            return claim, {}
        version = stored.get("trust_list_version")
        if not isinstance(version, int) or version >= trust.current.version:
            return claim, {}
        document = replace(
            parse_envelope(stored).document, trust_list_version=trust.current.version
        )
        entry = recipient_entry(trust, claim.recipient, self.clock())
        sealed = seal(document, self.keys, entry.encryption_key, recipient_suite=entry.suite)
        digest = content_hash(document)
        _log.info("outbox: %s resealed under trust list %s", claim.document_id, version)
        new = replace(claim, sealed=sealed, digest=digest, document=document.to_json())
        return new, {"sealed": sealed, "content_sha256": digest, "document": new.document}

    def _retry(self, claim: _Claim, error: str) -> tuple[Outcome, dict[str, object]]:
        if claim.attempts >= self.policy.max_attempts:
            return self._fail(claim, f"{error} (after {claim.attempts} attempts)")
        with self._rng_lock:
            delay = self.policy.delay(claim.attempts, self.rng)
        values: dict[str, object] = {"next_attempt_at": self.clock() + delay, "last_error": error}
        return Outcome(claim.document_id, DeliveryState.PENDING, error), values

    def _fail(self, claim: _Claim, error: str) -> tuple[Outcome, dict[str, object]]:
        values: dict[str, object] = {"state": DeliveryState.FAILED.value, "last_error": error}
        return Outcome(claim.document_id, DeliveryState.FAILED, error), values

    def _record_all(self, results: list[tuple[_Claim, dict[str, object]]]) -> None:
        """Write the outcomes of the claimed attempts in one transaction, in id order (unless
        a row moved on meanwhile: its lease ran out and another worker claimed it)."""
        with self.engine.begin() as conn:
            for claim, outcome in sorted(results, key=lambda r: str(r[0].document_id)):
                values = dict(outcome)
                if values.get("document") is not None:  # resealed: its document kept again
                    place = outbox_place(claim.document_id)
                    values["document"] = at_rest.seal_json(conn, values["document"], place)
                conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.document_id == str(claim.document_id),
                        outbox.c.state == _PENDING,
                        outbox.c.attempts == claim.attempts,
                    )
                    .values(**values)
                )


def _kept_document(conn: Connection, document_id: str, stored: object) -> object:
    """The row's kept document in clear; ``None`` (no resealing) when it cannot be decrypted."""
    if stored is None:
        return None
    try:
        return at_rest.unseal_json(conn, stored, outbox_place(document_id))
    except at_rest.AtRestError as exc:
        _log.warning("outbox: %s kept document unreadable (%s); not resealed", document_id, exc)
        return None


@dataclass(frozen=True, slots=True)
class _Claim:
    document_id: UUID
    attempts: int  # including this one
    recipient: str
    sealed: bytes
    digest: str
    document: object = None  # the unsealed envelope, when kept


def _refusal(response: Response) -> tuple[str, bool]:
    """The error to record for a non-200 answer, and whether retrying is pointless."""
    reason: str | None = None
    detail = ""
    try:
        payload = json.loads(response.body)
        if isinstance(payload, dict):
            found = payload.get("reason")
            reason = None if found is None else str(found)
            detail = str(payload.get("detail", ""))
    except (ValueError, UnicodeDecodeError):
        detail = response.body[:200].decode("utf-8", "replace")
    error = f"HTTP {response.status}: {reason or 'error'}: {detail}".rstrip(": ")
    if response.status == 413:
        return error, True
    if response.status in {400, 403} and reason in {r.value for r in RejectReason}:
        return error, RejectReason(reason) not in RETRYABLE_REASONS
    return error, False
