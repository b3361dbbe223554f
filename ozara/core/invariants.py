"""Facts that hold for every request the lifecycle can reach.

The property tests drive random action sequences and check these after every step; a
violation means a transition left a request in a state the Protocol does not define.
"""

from __future__ import annotations

from ozara.core.actions import WITH_REQUESTED, State
from ozara.core.deadlines import DeadlineKind
from ozara.core.lifecycle import Request


def invariant_violations(r: Request) -> list[str]:
    """Facts that hold for every reachable request; the property tests check them."""
    problems = []
    kinds = [d.kind for d in r.deadlines]
    if len(kinds) != len(set(kinds)):
        problems.append("duplicate deadline")
    received = r.received_at is not None
    if received != (DeadlineKind.EXECUTION in kinds):
        problems.append("execution deadline without receipt, or receipt without it")
    if r.state in WITH_REQUESTED | {State.EXECUTED, State.REFUSED} and not received:
        problems.append(f"state {r.state} without receipt")
    if r.state in (State.SIGNED,) and r.signed_at is None:
        problems.append("signed without signature")
    if (
        r.state is not State.DRAFT
        and r.state is not State.SIGNED
        and r.sent_at is None
        and r.state is not State.WITHDRAWN
    ):
        problems.append("past sending without sent_at")
    if r.state.is_terminal and r.open_deadlines():
        problems.append("open deadline on a finished request")
    if r.state in (State.EXECUTED, State.REFUSED) and any(
        d.is_open() and d.kind is not DeadlineKind.URGENT_CONFIRMATION for d in r.deadlines
    ):
        problems.append("open execution clock after execution or refusal")
    if (r.state is State.POSTPONED) != (r.postponed_at is not None):
        problems.append("postponement marker out of step with the state")
    if (
        r.content.urgent
        and r.sent_at is not None
        and r.signed_at is None
        and DeadlineKind.URGENT_CONFIRMATION not in kinds
    ):
        problems.append("urgent request sent without its confirmation deadline")
    return problems
