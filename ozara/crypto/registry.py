"""The suites this node knows, by suite id.

A sealed document and each trust-list entry name their suite; the receiver looks it up here
and refuses what it does not know. A national suite is added by one line below (see
docs/crypto.md).
"""

from __future__ import annotations

from .ed25519_x25519 import SUITE_ID as ED25519_X25519
from .ed25519_x25519 import Ed25519X25519Suite
from .suite import CryptoError, CryptoSuite

DEFAULT_SUITE_ID = ED25519_X25519

suites: dict[str, CryptoSuite] = {
    ED25519_X25519: Ed25519X25519Suite(),
}


class UnknownSuite(CryptoError):
    """A suite id that this node does not implement."""


def get_suite(suite_id: str) -> CryptoSuite:
    try:
        return suites[suite_id]
    except (KeyError, TypeError):
        raise UnknownSuite(f"unknown crypto suite {suite_id!r}") from None
