"""Property tests: random officers taking random actions on a request, as time passes.

Whatever is tried, in whatever order: an illegal action raises ``ProtocolError`` and
nothing else; the request's invariants hold after every step; deadlines once set are
never lost nor un-met (Art. 6 para 4, Art. 7 paras 2 and 4); every applied transition
bumps the version by one and emits one event citing an article and the rule set (Art. 15).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ozara import seed
from ozara.core.actions import ACTIONS, Action, State
from ozara.core.invariants import invariant_violations
from ozara.core.lifecycle import (
    Command,
    Context,
    Request,
    allowed_actions,
    check,
    new_request,
    transition,
)
from ozara.core.parties import Officer, Registry, Role
from ozara.core.requests import parse_request
from ozara.core.rules import RULESET_VERSION, ProtocolError
from ozara.core.treaty import TreatyStatus

CONTEXT = Context(
    Registry.of(seed.BODIES), TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS)
)
OFFICERS: tuple[Officer, ...] = (
    *(o for body in seed.BODIES for o in seed.officers_for(body)),
    seed.SECRETARIAT_OFFICER,
    seed.AUDITOR,
)
#: The staff of the bodies a request may involve, so random runs get somewhere.
INVOLVED = tuple(o for o in OFFICERS if o.body_id in ("KAZ-MVD", "RUS-MVD", "RUS-FSB"))
START = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
TARGETS = (None, "", "RUS-FSB", "RUS-MVD", "KAZ-MVD", "BLR-MVD", "NOBODY")

BASE = {
    "requesting_body": "KAZ-MVD",
    "purpose": "Identify the operators of a phishing domain",
    "justification": "Criminal case No. 123",
    "substance": "Phishing pages imitating a bank",
    "assistance": {"text": "Establish the subscriber behind IP 198.51.100.7"},
    "execution_terms": "Art. 7 para 2",
    "crime_category": "c",
    "legal_qualification": "Criminal Code of Kazakhstan, Art. 190",
}

documents = st.fixed_dictionaries(
    {
        "requested_body": st.sampled_from(["RUS-MVD", "BLR-MVD"]),
        "urgent": st.booleans(),
        "agreed_term_days": st.one_of(st.none(), st.integers(1, 90)),
    }
).map(
    lambda extra: {
        **BASE,
        **extra,
        "urgent_grounds": "An attack is being prepared" if extra["urgent"] else "",
    }
)

commands = st.builds(
    Command,
    action=st.sampled_from(list(Action)),
    text=st.sampled_from(["", "  ", "Reasons, conditions or results"]),
    partial=st.booleans(),
    target_body=st.sampled_from(TARGETS),
)
actors = st.one_of(st.sampled_from(INVOLVED), st.sampled_from(OFFICERS))
#: From a few seconds (boundary instants) to over a month (overdue terms).
pauses = st.one_of(
    st.integers(0, 120).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 45 * 24).map(lambda h: timedelta(hours=h)),
)


def check_deadlines_kept(before: Request, after: Request) -> None:
    for old in before.deadlines:
        new = after.deadline(old.kind)
        assert new is not None, f"{old.kind} deadline lost"
        if old.met_at is not None:
            assert new == old, f"a met {old.kind} deadline changed"


def check_protocol_facts(r: Request) -> None:
    """Facts of the Protocol itself, beyond the core's own ``invariant_violations``."""
    if r.sent_at is not None and not r.content.urgent:
        # Art. 6 para 3: only an urgent request may travel before its written, signed form.
        assert r.signed_at is not None and r.signed_at <= r.sent_at
    if r.received_at is not None:
        assert r.sent_at is not None and r.sent_at <= r.received_at
    if r.state is State.SIGNED or r.confirmed_at is not None:
        assert r.signed_by is not None
    if r.signed_by is not None:
        # Art. 6 para 5: whoever signed or confirmed is a head or deputy of the requesting body.
        signer = next(o for o in OFFICERS if o.id == r.signed_by)
        assert signer.body_id == r.content.requesting_body and signer.has(Role.SIGNATORY)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=documents, data=st.data())
def test_random_walks_keep_every_invariant(
    document: dict[str, object], data: st.DataObject
) -> None:
    content = parse_request(document)
    now = START
    request = new_request("REQ-P", content, INVOLVED[0], now)
    steps = data.draw(st.integers(5, 30), label="steps")
    for _ in range(steps):
        now += data.draw(pauses, label="pause")
        staff = (request.content.requesting_body, request.requested_body)
        legal = [
            (officer, action)
            for officer in OFFICERS
            if officer.body_id in staff
            for action in allowed_actions(request, officer, CONTEXT, now)
        ]
        if legal and data.draw(st.integers(0, 3), label="move") > 0:
            # Mostly a legal move by the staff of either body, so that walks get deep: an
            # action first, then who takes it, so head-only moves are not drowned out; and
            # a withdrawal (open almost throughout) is rare, or it would end most walks.
            moves = sorted({a for _, a in legal})
            rare = Action.WITHDRAW in moves and len(moves) > 1
            if rare and data.draw(st.integers(0, 7), label="keep going") > 0:
                moves.remove(Action.WITHDRAW)
            action = data.draw(st.sampled_from(moves), label="action")
            actor = data.draw(st.sampled_from([o for o, a in legal if a is action]), label="by")
            command = data.draw(commands.map(lambda c, a=action: _with_action(c, a)))
        else:
            # ... and now and then anything at all, by anyone.
            actor = data.draw(actors, label="actor")
            command = data.draw(commands, label="command")

        decision = check(request, command, actor, CONTEXT, now)
        if not decision.allowed:
            with pytest.raises(ProtocolError) as refused:
                transition(request, command, actor, CONTEXT, now)
            assert refused.value.violations == decision.violations
            assert all(v.article for v in decision.violations)
            continue

        result = transition(request, command, actor, CONTEXT, now)
        after = result.request
        assert isinstance(after.state, State)
        assert after.version == request.version + 1
        assert invariant_violations(after) == [], (command, request.state)
        check_deadlines_kept(request, after)
        check_protocol_facts(after)
        assert after.state is request.state or after.state is ACTIONS[command.action].target
        (event,) = result.events
        assert event.ruleset == RULESET_VERSION
        assert event.articles and all(a for a in event.articles)
        assert (event.state_from, event.state_to) == (request.state.value, after.state.value)
        request = after


def _with_action(command: Command, action: Action) -> Command:
    target = command.target_body
    if action is Action.FORWARD:
        target = "RUS-FSB"
    text = command.text
    if ACTIONS[action].needs_text and not text.strip():
        text = "Reasons, conditions or results"
    return Command(action, text, command.partial, target, command.details)
