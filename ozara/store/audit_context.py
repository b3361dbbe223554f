"""Where an action comes from, for the audit log: "who, role, ... from where" (issue 7).

The use cases do not know whether an officer clicked in a browser, typed a command on the
node's machine or was replayed from another node's document; the adapter that received the
action does. It says so once (``acting``) and every audit entry written meanwhile, in the
same thread or task, carries it in its details, so it is covered by the hash chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Origin:
    #: ``web``, ``cli``, ``node`` (a document from another node) or ``system``.
    channel: str
    #: The client's address (web), the operator's user@host (cli), the sending node (node).
    address: str | None = None
    #: The roles of the officer acting, as the adapter authenticated them.
    roles: tuple[str, ...] = ()

    def as_details(self) -> dict[str, Any]:
        found: dict[str, Any] = {"channel": self.channel}
        if self.address:
            found["address"] = self.address
        if self.roles:
            found["roles"] = list(self.roles)
        return found


_current: ContextVar[Origin | None] = ContextVar("ozara_audit_origin", default=None)


def current() -> Origin | None:
    return _current.get()


def set_origin(origin: Origin) -> None:
    """Set the origin for the rest of this thread's or task's context (a web request:
    Starlette runs each request in its own context, so it never leaks to the next)."""
    _current.set(origin)


@contextmanager
def acting(origin: Origin) -> Iterator[None]:
    """The origin for the entries written inside the block, restored after it."""
    token = _current.set(origin)
    try:
        yield
    finally:
        _current.reset(token)
