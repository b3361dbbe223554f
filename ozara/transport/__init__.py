"""Reliable delivery between nodes (issue 3, point 3): transactional outbox, delivery worker
with retries, idempotent inbox, signed receipts. The HTTP side is ``ozara.api.node``.
"""

from .http import HttpxTransport, InMemoryTransport, Response, Transport, TransportError
from .inbox import (
    DUPLICATE,
    MAX_DOCUMENT_BYTES,
    TOO_LARGE,
    Accepted,
    DocumentTooLarge,
    Inbox,
    Rejection,
    rejection_log,
    rejection_status,
)
from .outbox import DeliveryState, OutboxEntry, enqueue, entries, failed
from .receipts import ReceiptInvalid, UnknownRecipient, content_hash, verify_receipt
from .worker import DeliveryWorker, Outcome, RetryPolicy

__all__ = [
    "DUPLICATE",
    "MAX_DOCUMENT_BYTES",
    "TOO_LARGE",
    "Accepted",
    "DeliveryState",
    "DeliveryWorker",
    "DocumentTooLarge",
    "HttpxTransport",
    "InMemoryTransport",
    "Inbox",
    "OutboxEntry",
    "Outcome",
    "ReceiptInvalid",
    "Rejection",
    "Response",
    "RetryPolicy",
    "Transport",
    "TransportError",
    "UnknownRecipient",
    "content_hash",
    "enqueue",
    "entries",
    "failed",
    "rejection_log",
    "rejection_status",
    "verify_receipt",
]
