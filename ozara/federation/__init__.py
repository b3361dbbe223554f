"""The federation between nodes above delivery (issue 3, point 4): the Secretariat node's
broadcasts of designations, treaty notifications and trust lists (``broadcast.py``), and
the inbox processor that applies what a node received (``dispatch.py``, ``handlers.py``).
"""

from .broadcast import (
    Broadcast,
    NotSecretariatNode,
    broadcast_designation,
    broadcast_treaty_notification,
    broadcast_trust_list,
    party_nodes,
)
from .context import Handler, HandlerContext, InboxItem, Processed, Refused, Result
from .dispatch import process_inbox, processing_errors
from .handlers import DEFAULT_HANDLERS, require_secretariat
from .payloads import PayloadError
from .trust_store import TrustHolder, load_trust_state, save_trust_list, stored_trust_lists

__all__ = [
    "DEFAULT_HANDLERS",
    "Broadcast",
    "Handler",
    "HandlerContext",
    "InboxItem",
    "NotSecretariatNode",
    "PayloadError",
    "Processed",
    "Refused",
    "Result",
    "TrustHolder",
    "broadcast_designation",
    "broadcast_treaty_notification",
    "broadcast_trust_list",
    "load_trust_state",
    "party_nodes",
    "process_inbox",
    "processing_errors",
    "require_secretariat",
    "save_trust_list",
    "stored_trust_lists",
]
