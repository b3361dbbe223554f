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
  whose trust list is behind ours): retried after a delay with exponential backoff and full
  jitter, ``uniform(0, min(cap, base * 2 ** (attempts - 1)))``; ``failed`` once
  ``max_attempts`` sends have been made.

The clock and the random source are injected: the tests give a hand-moved clock and a seeded
``random.Random``.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Engine, select, update

from ozara.documents import NodeKeys, RejectReason, TrustState
from ozara.store.tables import outbox

from .http import Response, Transport, TransportError
from .outbox import DeliveryState
from .receipts import ReceiptInvalid, UnknownRecipient, recipient_entry, verify_receipt

#: Refusals that may pass once the recipient holds our newer trust list: worth retrying.
RETRYABLE_REASONS = frozenset(
    {
        RejectReason.UNKNOWN_SENDER,
        RejectReason.SENDER_NOT_ON_TRUST_LIST,
        RejectReason.UNKNOWN_SIGNING_KEY,
    }
)
_PENDING = DeliveryState.PENDING.value


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
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.trust = trust
        self.transport = transport
        self.clock = clock
        self.rng = rng
        self.policy = policy or RetryPolicy()
        self.batch = batch

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
        outcomes = []
        for document_id, attempts in due:
            claimed = self._claim(document_id, attempts, now)
            if claimed is not None:
                outcomes.append(self._deliver(claimed))
        return outcomes

    def run_forever(self, stop: threading.Event, idle: float = 0.5) -> None:
        """Pass after pass until ``stop`` is set; wait ``idle`` seconds when nothing was due."""
        while not stop.is_set():
            if not self.run_once():
                stop.wait(idle)

    # -- one row -------------------------------------------------------------------------

    def _claim(self, document_id: str, attempts: int, now: datetime) -> _Claim | None:
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(outbox)
                .where(
                    outbox.c.document_id == document_id,
                    outbox.c.state == _PENDING,
                    outbox.c.attempts == attempts,
                )
                .values(attempts=attempts + 1, next_attempt_at=now + self.policy.lease)
                .returning(outbox.c.recipient, outbox.c.sealed, outbox.c.content_sha256)
            ).first()
        if claimed is None:
            return None  # another worker took it
        recipient, sealed, digest = claimed
        return _Claim(UUID(document_id), attempts + 1, recipient, sealed, digest)

    def _deliver(self, claim: _Claim) -> Outcome:
        trust = self.trust()
        try:
            endpoint = recipient_entry(trust, claim.recipient, self.clock()).endpoint
            response = self.transport.post(endpoint, claim.sealed)
        except (TransportError, UnknownRecipient) as exc:
            return self._retry(claim, str(exc))
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
                return self._retry(claim, str(exc))
            return self._delivered(claim, response.body)
        error, permanent = _refusal(response)
        return self._fail(claim, error) if permanent else self._retry(claim, error)

    def _delivered(self, claim: _Claim, receipt: bytes) -> Outcome:
        self._record(
            claim,
            state=DeliveryState.DELIVERED.value,
            delivered_at=self.clock(),
            receipt=receipt,
            last_error=None,
        )
        return Outcome(claim.document_id, DeliveryState.DELIVERED)

    def _retry(self, claim: _Claim, error: str) -> Outcome:
        if claim.attempts >= self.policy.max_attempts:
            return self._fail(claim, f"{error} (after {claim.attempts} attempts)")
        due = self.clock() + self.policy.delay(claim.attempts, self.rng)
        self._record(claim, next_attempt_at=due, last_error=error)
        return Outcome(claim.document_id, DeliveryState.PENDING, error)

    def _fail(self, claim: _Claim, error: str) -> Outcome:
        self._record(claim, state=DeliveryState.FAILED.value, last_error=error)
        return Outcome(claim.document_id, DeliveryState.FAILED, error)

    def _record(self, claim: _Claim, **values: object) -> None:
        """Write the outcome of the claimed attempt (unless the row moved on meanwhile)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.document_id == str(claim.document_id),
                    outbox.c.state == _PENDING,
                    outbox.c.attempts == claim.attempts,
                )
                .values(**values)
            )


@dataclass(frozen=True, slots=True)
class _Claim:
    document_id: UUID
    attempts: int  # including this one
    recipient: str
    sealed: bytes
    digest: str


def _refusal(response: Response) -> tuple[str, bool]:
    """The error to record for a non-200 answer, and whether retrying is pointless."""
    reason: str | None = None
    detail = ""
    try:
        payload = json.loads(response.body)
        if isinstance(payload, dict):
            reason = str(payload.get("reason"))
            detail = str(payload.get("detail", ""))
    except (ValueError, UnicodeDecodeError):
        detail = response.body[:200].decode("utf-8", "replace")
    error = f"HTTP {response.status}: {reason or 'error'}: {detail}".rstrip(": ")
    if response.status == 413:
        return error, True
    if response.status in {400, 403} and reason in {r.value for r in RejectReason}:
        return error, RejectReason(reason) not in RETRYABLE_REASONS
    return error, False
