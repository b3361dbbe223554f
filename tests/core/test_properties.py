"""Property tests: random officers taking random actions on a request, as time passes.

Whatever is tried, in whatever order: an illegal action raises ``ProtocolError`` and
nothing else; the request's invariants hold after every step; deadlines once set are
never lost nor un-met (Art. 6 para 4, Art. 7 paras 2 and 4); every applied transition
bumps the version by one and emits one event citing an article and the rule set (Art. 15).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ozara import seed
from ozara.core.actions import ACTIONS, Action, State
from ozara.core.lifecycle import (
    Command,
    Context,
    Request,
    allowed_actions,
    check,
    invariant_violations,
    new_request,
    transition,
)
from ozara.core.parties import Officer, Registry
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


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=documents, data=st.data())
def test_random_walks_keep_every_invariant(document: dict[str, object], data: st.DataObject) -> None:
    content = parse_request(document)
    now = START
    request = new_request("REQ-P", content, INVOLVED[0], now)
    steps = data.draw(st.integers(1, 40), label="steps")
    for _ in range(steps):
        now += data.draw(pauses, label="pause")
        actor = data.draw(actors, label="actor")
        if data.draw(st.booleans(), label="legal move"):
            offered = allowed_actions(request, actor, CONTEXT, now)
            if offered:
                action = data.draw(st.sampled_from(offered), label="offered")
                command = data.draw(commands.map(lambda c, a=action: _with_action(c, a)))
            else:
                command = data.draw(commands, label="command")
        else:
            command = data.draw(commands, label="command")

        decision = check(request, command, actor, CONTEXT, now)
        try:
            result = transition(request, command, actor, CONTEXT, now)
        except ProtocolError as error:
            assert not decision.allowed
            assert error.violations == decision.violations
            assert all(v.article for v in error.violations)
            continue
        assert decision.allowed

        after = result.request
        assert isinstance(after.state, State)
        assert after.version == request.version + 1
        assert invariant_violations(after) == [], (command, request.state)
        check_deadlines_kept(request, after)
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
