"""The trust list a node holds, kept in its database so that a restarted node keeps it.

A node starts from the list in its node directory (``trust-list.json``); every newer list
the Secretariat sends is adopted by the inbox processor (``handlers.py``) and written to the
``trust_lists`` table, as signed, in the transaction that marks its document processed.
``load_trust_state`` rebuilds the ``TrustState`` from both: the highest version is current,
and every node id on a lower version is *formerly listed* (as ``TrustState.accept`` keeps it),
so a removed node is still told from an unknown one after a restart. Each stored list is
verified against the Secretariat's key again on loading: the anchor never comes from the
database either.

``TrustHolder`` is the one place a running node reads its trust state from: pass it (it is
callable) as the ``trust`` of the ``Inbox`` and the ``DeliveryWorker``.
"""

from __future__ import annotations

import threading
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, Engine, insert, select

from ozara.documents import TrustList, TrustState, verify_trust_list
from ozara.store.tables import trust_lists


class TrustHolder:
    """The current ``TrustState`` of a running node and the Secretariat's key (the anchor)."""

    def __init__(self, state: TrustState, secretariat_key: bytes) -> None:
        self._state = state
        self.secretariat_key = secretariat_key
        self._lock = threading.Lock()

    def __call__(self) -> TrustState:
        return self._state

    @property
    def state(self) -> TrustState:
        return self._state

    def adopt(self, state: TrustState) -> bool:
        """Hold ``state`` if its list is newer than the one held; say whether it was."""
        with self._lock:
            if state.current.version <= self._state.current.version:
                return False
            self._state = state
            return True


def save_trust_list(
    conn: Connection, trust_list: TrustList, now: datetime, document_id: UUID | None = None
) -> None:
    """Store an adopted list inside the caller's transaction (it never commits)."""
    conn.execute(
        insert(trust_lists).values(
            version=trust_list.version,
            issuer=trust_list.issuer,
            issued_at=trust_list.issued_at,
            signed=trust_list.to_signed_json(),
            adopted_at=now,
            document_id=None if document_id is None else str(document_id),
        )
    )


def stored_trust_lists(engine: Engine, secretariat_key: bytes) -> list[TrustList]:
    """Every adopted list, lowest version first, each verified against the anchor.

    Raises ``TrustListRejected`` for a stored list the Secretariat's key did not sign.
    """
    with engine.connect() as conn:
        rows = conn.execute(select(trust_lists.c.signed).order_by(trust_lists.c.version)).all()
    lists = [TrustList.from_json(row.signed) for row in rows]
    for trust_list in lists:
        verify_trust_list(trust_list, secretariat_key)
    return lists


def load_trust_state(engine: Engine, initial: TrustState, secretariat_key: bytes) -> TrustState:
    """The state a (re)started node holds: ``initial`` (its files) and the lists it adopted."""
    state = initial
    for trust_list in stored_trust_lists(engine, secretariat_key):
        if trust_list.version > state.current.version:
            state = TrustState(trust_list, state.formerly_listed | state.current.node_ids())
        elif trust_list.version < state.current.version:
            state = TrustState(state.current, state.formerly_listed | trust_list.node_ids())
    return state
