"""The life of a request (Art. 6–9), scenario by scenario.

The default request is KAZ-MVD (Almaty) to RUS-MVD (Moscow); RUS-FSB is the other Russian
competent body a request may be forwarded to (Art. 7 para 4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ozara.core.actions import ACTIONS, TERMINAL, Action, State
from ozara.core.cooperation import COOPERATION_ACTIONS
from ozara.core.deadlines import (
    DeadlineKind,
    confirmation_due,
    end_of_day_n,
    extend_for_postponement,
)
from ozara.core.events import RequestEvent, Side
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
from ozara.core.parties import Officer
from ozara.core.requests import parse_request
from ozara.core.rules import RULES, RULESET_VERSION, ProtocolError, Violation

MakeRequest = Callable[..., Request]
C = Command
A = Action

KAZ_OFFICER, KAZ_HEAD, KAZ_LIAISON = "kaz-mvd.officer", "kaz-mvd.head", "kaz-mvd.liaison"
RUS_OFFICER, RUS_HEAD = "rus-mvd.officer", "rus-mvd.head"
FSB_OFFICER, FSB_HEAD = "rus-fsb.officer", "rus-fsb.head"
URGENT = {"urgent": True, "urgent_grounds": "An attack on a power grid is being prepared"}

SENT: list[tuple[str, Command]] = [(KAZ_HEAD, C(A.SIGN)), (KAZ_OFFICER, C(A.SEND))]
RECEIVED = [*SENT, (RUS_OFFICER, C(A.RECEIVE))]
IN_EXECUTION = [*RECEIVED, (RUS_OFFICER, C(A.START_EXECUTION))]

#: A shortest path to every state.
PATHS: dict[State, list[tuple[str, Command]]] = {
    State.DRAFT: [],
    State.SIGNED: SENT[:1],
    State.SENT: SENT,
    State.RECEIVED: RECEIVED,
    State.FORWARDED: [*RECEIVED, (RUS_OFFICER, C(A.FORWARD, target_body="RUS-FSB"))],
    State.IN_EXECUTION: IN_EXECUTION,
    State.INFO_REQUESTED: [*IN_EXECUTION, (RUS_OFFICER, C(A.REQUEST_INFO, "IP logs?"))],
    State.POSTPONED: [*IN_EXECUTION, (RUS_HEAD, C(A.POSTPONE, "Our own case is at a key stage"))],
    State.CONDITIONS_PROPOSED: [*IN_EXECUTION, (RUS_HEAD, C(A.PROPOSE_CONDITIONS, "Use only in"))],
    State.CONDITIONS_DECLINED: [
        *IN_EXECUTION,
        (RUS_HEAD, C(A.PROPOSE_CONDITIONS, "Use only in case No. 123")),
        (KAZ_HEAD, C(A.DECLINE_CONDITIONS)),
    ],
    State.EXECUTED: [*IN_EXECUTION, (RUS_OFFICER, C(A.EXECUTE, "Subscriber identified"))],
    State.REFUSED: [*IN_EXECUTION, (RUS_HEAD, C(A.REFUSE, "Contrary to national law"))],
    State.WITHDRAWN: [*IN_EXECUTION, (KAZ_HEAD, C(A.WITHDRAW))],
    State.CLOSED: [
        *IN_EXECUTION,
        (RUS_OFFICER, C(A.EXECUTE, "Subscriber identified")),
        (KAZ_OFFICER, C(A.CLOSE)),
    ],
}


def denied(
    drive: Any, request: Request, officer_id: str, command: Command, now: datetime | None = None
) -> Violation:
    """The first violation of a refused transition; fails if it is allowed."""
    officer, now = drive.officers[officer_id], now or drive.now
    assert not check(request, command, officer, drive.context, now).allowed
    with pytest.raises(ProtocolError) as caught:
        transition(request, command, officer, drive.context, now)
    return caught.value.violations[0]


#: Which action records which event.
EVENT_ACTION = {spec.event: action for action, spec in ACTIONS.items()}
EVENT_ACTION["request:partially_refused"] = A.REFUSE


def names(events: list[RequestEvent]) -> list[str]:
    return [e.name for e in events]


@pytest.fixture
def draft(make_request: MakeRequest) -> Request:
    return make_request()


@pytest.fixture
def urgent_draft(make_request: MakeRequest) -> Request:
    return make_request(**URGENT)


@pytest.fixture
def at(drive: Any) -> Callable[[Request, State], Request]:
    """``at(request, state)``: the request driven along the shortest path to ``state``.

    With ``urgent_sending=True`` the request is sent before signature (Art. 6 para 4).
    """

    def go(request: Request, state: State, *, urgent_sending: bool = False) -> Request:
        steps = PATHS[state]
        if urgent_sending and state not in (State.DRAFT, State.SIGNED):
            steps = [(KAZ_OFFICER, C(A.SEND_URGENT)), *steps[len(SENT) :]]
            if state is State.CLOSED:
                # The written form is owed before closing (Art. 6 para 4).
                steps = [*steps[:-1], (KAZ_HEAD, C(A.CONFIRM)), steps[-1]]
        return drive(request, steps)

    return go


def test_paths_reach_their_states(draft: Request, at: Any) -> None:
    for state in State:
        request = at(draft, state)
        assert request.state is state
        assert invariant_violations(request) == []


# --- drafting -----------------------------------------------------------------------


def test_new_request_is_a_draft_of_the_requesting_body(draft: Request, t0: datetime) -> None:
    assert draft.state is State.DRAFT
    assert draft.version == 0
    assert draft.requested_body == "RUS-MVD"
    assert draft.created_by == KAZ_OFFICER
    assert draft.created_at == t0
    assert invariant_violations(draft) == []


@pytest.mark.parametrize("officer_id", [RUS_OFFICER, "auditor", "csto.secretariat"])
def test_art4_only_the_requesting_body_drafts_its_request(
    officers: dict[str, Officer], document: dict[str, Any], t0: datetime, officer_id: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        new_request("R", parse_request(document), officers[officer_id], t0)
    assert caught.value.violations[0].rule == "lifecycle.role"


def test_naive_datetime_is_rejected_by_transition(
    draft: Request, officers: dict[str, Officer], context: Context
) -> None:
    with pytest.raises(ValueError, match="naive"):
        transition(draft, C(A.SIGN), officers[KAZ_HEAD], context, datetime(2025, 1, 15, 12))


# --- the main path ----------------------------------------------------------------


def test_art6_art7_sign_send_receive_execute_close(draft: Request, drive: Any) -> None:
    request = drive(
        draft,
        [
            (KAZ_HEAD, C(A.SIGN)),
            (KAZ_OFFICER, C(A.SEND)),
            (RUS_OFFICER, C(A.RECEIVE)),
            (RUS_OFFICER, C(A.START_EXECUTION)),
            (RUS_OFFICER, C(A.REPORT_RESULTS, "Subscriber contacted")),
            (RUS_OFFICER, C(A.EXECUTE, "Subscriber identified: see attached report")),
            (KAZ_OFFICER, C(A.CLOSE)),
        ],
    )
    assert [(e.state_from, e.state_to) for e in drive.events] == [
        ("draft", "signed"),
        ("signed", "sent"),
        ("sent", "received"),
        ("received", "in_execution"),
        ("in_execution", "in_execution"),
        ("in_execution", "executed"),
        ("executed", "closed"),
    ]
    assert names(drive.events) == [
        "request:signed",
        "request:sent",
        "request:received",
        "request:execution_started",
        "request:interim_results",
        "request:executed",
        "request:closed",
    ]
    assert request.state is State.CLOSED
    assert request.signed_by == KAZ_HEAD
    assert request.outcome == "executed_full"
    assert request.version == 7
    assert request.open_deadlines() == ()
    assert invariant_violations(request) == []


def test_art7_para2_receipt_starts_the_execution_and_forwarding_clocks(
    draft: Request, drive: Any, at: Any
) -> None:
    """Moscow receives at 20:30 UTC on 31 March, 23:30 local: day 0 is 31 March."""
    sent = at(draft, State.SENT)
    received_at = datetime(2025, 3, 31, 20, 30, tzinfo=UTC)
    request = drive.step(sent, RUS_OFFICER, C(A.RECEIVE), received_at)
    moscow = drive.context.registry.get("RUS-MVD").zone
    execution = request.deadline(DeadlineKind.EXECUTION)
    forwarding = request.deadline(DeadlineKind.FORWARDING)
    assert execution.due_at == datetime(2025, 5, 1, tzinfo=moscow)
    assert forwarding.due_at == datetime(2025, 4, 4, tzinfo=moscow)
    assert request.received_at == received_at
    event = drive.events[-1]
    assert event.details["execution_due"] == execution.due_at.isoformat()
    assert event.notify is Side.REQUESTING


def test_art7_para2_an_agreed_term_sets_the_execution_deadline(
    make_request: MakeRequest, drive: Any, at: Any
) -> None:
    sent = at(make_request(agreed_term_days=10), State.SENT)
    received_at = datetime(2025, 3, 31, 20, 30, tzinfo=UTC)
    request = drive.step(sent, RUS_OFFICER, C(A.RECEIVE), received_at)
    assert request.deadline(DeadlineKind.EXECUTION).due_at == end_of_day_n(
        received_at, 10, drive.context.registry.get("RUS-MVD").zone
    )


def test_art7_para2_execution_deadline_is_met_on_execution(
    draft: Request, drive: Any, at: Any
) -> None:
    request = at(draft, State.EXECUTED)
    execution = request.deadline(DeadlineKind.EXECUTION)
    assert execution.met_at == drive.now
    assert not request.overdue(drive.now + timedelta(days=365))


def test_art7_para2_unexecuted_request_is_overdue_after_its_term(
    draft: Request, drive: Any, at: Any
) -> None:
    request = at(draft, State.IN_EXECUTION)
    due = request.deadline(DeadlineKind.EXECUTION).due_at
    assert request.overdue(due - timedelta(seconds=1)) == ()
    assert [d.kind for d in request.overdue(due)] == [DeadlineKind.EXECUTION]
    late = drive.step(request, RUS_OFFICER, C(A.EXECUTE, "Done late"), due + timedelta(days=2))
    assert late.state is State.EXECUTED
    assert late.deadline(DeadlineKind.EXECUTION).met_at == due + timedelta(days=2)


def test_art16_sending_to_a_party_not_yet_bound_is_refused(
    make_request: MakeRequest, drive: Any
) -> None:
    """Seed: Tajikistan is bound from 2018-02-09 only."""
    before = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
    draft = make_request(requested_body="TJK-MVD", at=before)
    signed = drive.step(draft, KAZ_HEAD, C(A.SIGN), before)
    v = denied(drive, signed, KAZ_OFFICER, C(A.SEND), before)
    assert (v.rule, v.article) == ("art16.in_force", "Art. 16")


# --- Art. 7 para 4: forwarding --------------------------------------------------------


def test_art7_para4_forwarding_within_the_same_state(draft: Request, drive: Any, at: Any) -> None:
    received = at(draft, State.RECEIVED)
    forwarded_at = received.received_at + timedelta(days=2)
    request = drive.step(received, RUS_OFFICER, C(A.FORWARD, target_body="RUS-FSB"), forwarded_at)
    assert request.state is State.FORWARDED
    assert request.requested_body == "RUS-FSB"
    assert request.content.requested_body == "RUS-MVD", "the document is not rewritten"
    forwarding = request.deadline(DeadlineKind.FORWARDING)
    assert forwarding.met_at == forwarded_at
    assert forwarded_at < forwarding.due_at
    event = drive.events[-1]
    assert event.name == "request:forwarded"
    assert event.articles == ("Art. 7 para 4",)
    assert event.notify is Side.REQUESTING, "the requesting body is informed at the same time"
    assert event.details == {"from_body": "RUS-MVD", "to_body": "RUS-FSB", "late": False}

    request = drive(
        request,
        [(FSB_OFFICER, C(A.START_EXECUTION)), (FSB_OFFICER, C(A.EXECUTE, "Identified"))],
    )
    assert request.state is State.EXECUTED
    assert invariant_violations(request) == []


def test_art7_para4_the_forwarding_body_loses_the_request(
    draft: Request, at: Any, drive: Any
) -> None:
    request = at(draft, State.FORWARDED)
    v = denied(drive, request, RUS_OFFICER, C(A.START_EXECUTION))
    assert v.rule == "lifecycle.role"


def test_art7_para4_late_forwarding_is_recorded_as_late(
    draft: Request, drive: Any, at: Any
) -> None:
    received = at(draft, State.RECEIVED)
    due = received.deadline(DeadlineKind.FORWARDING).due_at
    request = drive.step(received, RUS_OFFICER, C(A.FORWARD, target_body="RUS-FSB"), due)
    assert drive.events[-1].details["late"] is True
    assert request.deadline(DeadlineKind.FORWARDING).met_at == due


def test_art7_para4_forwarding_deadline_is_overdue_when_nobody_acts(
    draft: Request, at: Any
) -> None:
    request = at(draft, State.RECEIVED)
    due = request.deadline(DeadlineKind.FORWARDING).due_at
    assert [d.kind for d in request.overdue(due)] == [DeadlineKind.FORWARDING]


def test_art7_para4_taking_up_the_request_settles_the_forwarding_clock(
    draft: Request, at: Any
) -> None:
    request = at(draft, State.IN_EXECUTION)
    assert request.deadline(DeadlineKind.FORWARDING).met_at is not None
    assert request.deadline(DeadlineKind.EXECUTION).met_at is None


@pytest.mark.parametrize(
    "case",
    [
        ("BLR-MVD", "art7.forwarding", "Art. 7 para 4"),  # another Party's body
        ("KAZ-MVD", "art7.forwarding", "Art. 7 para 4"),  # back to the requesting Party
        ("RUS-MVD", "art7.forwarding", "Art. 7 para 4"),  # to itself
        (None, "art7.forwarding", "Art. 7 para 4"),
        ("", "art7.forwarding", "Art. 7 para 4"),
        ("RUS-NOBODY", "art4.designated", "Art. 4"),
    ],
)
def test_art7_para4_forwarding_only_to_a_designated_body_of_the_same_state(
    draft: Request, at: Any, drive: Any, case: tuple[str | None, str, str]
) -> None:
    target, rule, article = case
    request = at(draft, State.RECEIVED)
    v = denied(drive, request, RUS_OFFICER, C(A.FORWARD, target_body=target))
    assert (v.field, v.rule, v.article) == ("target_body", rule, article)


def test_art7_para4_forward_is_offered_only_where_a_same_state_body_exists(
    make_request: MakeRequest, officers: dict[str, Officer], context: Context, at: Any, drive: Any
) -> None:
    to_russia = at(make_request(), State.RECEIVED)
    assert A.FORWARD in allowed_actions(to_russia, officers[RUS_OFFICER], context, drive.now)
    to_belarus = make_request(requested_body="BLR-MVD")
    to_belarus = drive(
        to_belarus,
        [(KAZ_HEAD, C(A.SIGN)), (KAZ_OFFICER, C(A.SEND)), ("blr-mvd.officer", C(A.RECEIVE))],
    )
    offered = allowed_actions(to_belarus, officers["blr-mvd.officer"], context, drive.now)
    assert A.FORWARD not in offered
    assert A.START_EXECUTION in offered


# --- Art. 7 para 5: additional information ------------------------------------------


def test_art7_para5_additional_information_asked_and_provided(
    draft: Request, drive: Any, at: Any
) -> None:
    request = at(draft, State.IN_EXECUTION)
    request = drive(
        request,
        [
            (RUS_OFFICER, C(A.REQUEST_INFO, "Please send the server logs")),
            (KAZ_OFFICER, C(A.PROVIDE_INFO, "Logs attached")),
        ],
    )
    asked, given = drive.events[-2:]
    assert (asked.state_to, asked.notify, asked.articles) == (
        "info_requested",
        Side.REQUESTING,
        ("Art. 7 para 5",),
    )
    assert asked.details == {"text": "Please send the server logs"}
    assert (given.state_to, given.notify) == ("in_execution", Side.REQUESTED)
    assert request.state is State.IN_EXECUTION


def test_art7_para5_additional_information_may_be_asked_on_receipt(
    draft: Request, drive: Any, at: Any
) -> None:
    request = drive(at(draft, State.RECEIVED), [(RUS_OFFICER, C(A.REQUEST_INFO, "Which IP?"))])
    assert request.state is State.INFO_REQUESTED
    assert request.deadline(DeadlineKind.FORWARDING).met_at is not None


@pytest.mark.parametrize("text", ["", "   "])
def test_art7_para5_asking_needs_a_text(
    draft: Request,
    at: Any,
    drive: Any,
    text: str,
) -> None:
    request = at(draft, State.IN_EXECUTION)
    v = denied(drive, request, RUS_OFFICER, C(A.REQUEST_INFO, text))
    assert (v.field, v.rule, v.article) == ("text", "art7.additional_information", "Art. 7 para 5")


def test_art7_para5_only_the_requesting_body_provides_information(
    draft: Request, at: Any, drive: Any
) -> None:
    request = at(draft, State.INFO_REQUESTED)
    v = denied(drive, request, RUS_OFFICER, C(A.PROVIDE_INFO, "x"))
    assert v.rule == "lifecycle.role"


# --- Art. 7 para 6: postponement and conditions -----------------------------------


def test_art7_para6_postponement_stops_the_clock_and_resumption_extends_it(
    draft: Request, drive: Any, at: Any
) -> None:
    request = at(draft, State.IN_EXECUTION)
    due = request.deadline(DeadlineKind.EXECUTION).due_at
    postponed_at = drive.now + timedelta(days=1)
    request = drive.step(
        request, RUS_HEAD, C(A.POSTPONE, "Our case is at a key stage"), postponed_at
    )
    assert request.state is State.POSTPONED
    assert request.postponed_at == postponed_at
    assert drive.events[-1].notify is Side.REQUESTING
    assert drive.events[-1].articles == ("Art. 7 para 6",)
    assert request.deadline(DeadlineKind.EXECUTION).paused_at == postponed_at
    assert request.overdue(due + timedelta(days=30)) == (), "a paused clock is never overdue"

    resumed_at = postponed_at + timedelta(days=10, hours=3)
    request = drive.step(request, RUS_OFFICER, C(A.RESUME), resumed_at)
    execution = request.deadline(DeadlineKind.EXECUTION)
    assert request.state is State.IN_EXECUTION
    assert request.postponed_at is None
    assert execution.paused_at is None
    assert execution.due_at == due + timedelta(days=11)
    assert drive.events[-1].details == {"execution_due": execution.due_at.isoformat()}
    assert invariant_violations(request) == []


def test_art7_para6_only_the_head_postpones(draft: Request, at: Any, drive: Any) -> None:
    request = at(draft, State.IN_EXECUTION)
    v = denied(drive, request, RUS_OFFICER, C(A.POSTPONE, "x"))
    assert v.rule == "lifecycle.role"


def test_art7_para6_conditions_proposed_and_accepted(draft: Request, drive: Any, at: Any) -> None:
    request = at(draft, State.IN_EXECUTION)
    request = drive(
        request,
        [
            (RUS_HEAD, C(A.PROPOSE_CONDITIONS, "Use only in case No. 123")),
            (KAZ_HEAD, C(A.ACCEPT_CONDITIONS)),
            (RUS_OFFICER, C(A.EXECUTE, "Identified")),
        ],
    )
    proposed, accepted, _ = drive.events[-3:]
    assert proposed.notify is Side.REQUESTING
    assert accepted.notify is Side.REQUESTED
    assert accepted.details == {"conditions": "Use only in case No. 123"}
    assert accepted.articles == ("Art. 7 para 6",)
    assert request.conditions == "Use only in case No. 123"
    assert request.conditions_accepted is True
    assert request.state is State.EXECUTED


def test_art7_para6_conditions_declined_leave_the_requested_body_to_decide(
    draft: Request, officers: dict[str, Officer], context: Context, at: Any, drive: Any
) -> None:
    request = at(draft, State.CONDITIONS_DECLINED)
    assert request.conditions_accepted is False
    offered = allowed_actions(request, officers[RUS_HEAD], context, drive.now)
    assert {A.START_EXECUTION, A.REFUSE, A.NOTIFY_DELAY} <= set(offered)
    assert A.EXECUTE not in offered
    refused = drive(request, [(RUS_HEAD, C(A.REFUSE, "Conditions were not accepted"))])
    assert refused.state is State.REFUSED


def test_art7_para6_only_the_requesting_head_accepts_conditions(
    draft: Request, at: Any, drive: Any
) -> None:
    request = at(draft, State.CONDITIONS_PROPOSED)
    for officer_id in (KAZ_OFFICER, KAZ_LIAISON, RUS_HEAD):
        for action in (A.ACCEPT_CONDITIONS, A.DECLINE_CONDITIONS):
            v = denied(drive, request, officer_id, C(action))
            assert v.rule == "lifecycle.role"


def test_art7_para6_conditions_proposed_during_a_postponement_restart_the_clock(
    draft: Request, drive: Any, at: Any
) -> None:
    """Proposing conditions ends the postponement: its days are added, the clock runs again."""
    request = at(draft, State.IN_EXECUTION)
    due = request.deadline(DeadlineKind.EXECUTION).due_at
    postponed_at = drive.now + timedelta(hours=1)
    request = drive.step(request, RUS_HEAD, C(A.POSTPONE, "Key stage"), postponed_at)
    proposed_at = postponed_at + timedelta(days=4, hours=1)
    request = drive.step(request, RUS_HEAD, C(A.PROPOSE_CONDITIONS, "Only case 123"), proposed_at)
    assert request.state is State.CONDITIONS_PROPOSED
    assert invariant_violations(request) == []
    execution = request.deadline(DeadlineKind.EXECUTION)
    assert execution.paused_at is None
    assert execution.due_at == due + timedelta(days=5)
    request = drive(request, [(KAZ_HEAD, C(A.ACCEPT_CONDITIONS))])
    assert request.state is State.IN_EXECUTION
    assert request.overdue(execution.due_at) != (), "the clock runs again after acceptance"


# --- Art. 7 para 3: delay notices -----------------------------------------------------


@pytest.mark.parametrize("state", sorted(ACTIONS[A.NOTIFY_DELAY].sources))
def test_art7_para3_delay_notice_keeps_the_state_and_informs_the_requesting_side(
    draft: Request, at: Any, drive: Any, state: State
) -> None:
    request = at(draft, state)
    holder = "rus-fsb.officer" if state is State.FORWARDED else RUS_OFFICER
    after = drive(request, [(holder, C(A.NOTIFY_DELAY, "The provider is slow to answer"))])
    assert after.state is state
    assert after.version == request.version + 1
    assert drive.events[-1].notify is Side.REQUESTING
    assert drive.events[-1].articles == ("Art. 7 para 3",)


# --- Art. 9: refusal ------------------------------------------------------------------


def test_art9_para1_partial_refusal_keeps_the_request_in_execution(
    draft: Request, drive: Any, at: Any
) -> None:
    request = at(draft, State.IN_EXECUTION)
    request = drive(
        request,
        [(RUS_HEAD, C(A.REFUSE, "Item 2 contradicts national law", partial=True))],
    )
    event = drive.events[-1]
    assert request.state is State.IN_EXECUTION
    assert request.partially_refused is True
    assert request.outcome is None
    assert request.deadline(DeadlineKind.EXECUTION).is_open()
    assert event.name == "request:partially_refused"
    assert (event.state_from, event.state_to) == ("in_execution", "in_execution")
    assert event.details == {"partial": True, "text": "Item 2 contradicts national law"}
    assert event.notify is Side.REQUESTING
    assert event.articles == ("Art. 9 para 2",)

    request = drive(request, [(RUS_OFFICER, C(A.EXECUTE, "Item 1 done", partial=True))])
    assert request.state is State.EXECUTED
    assert request.outcome == "executed_partial"


def test_art9_para2_full_refusal_with_reasons(draft: Request, drive: Any, at: Any) -> None:
    request = at(draft, State.RECEIVED)
    request = drive(request, [(RUS_HEAD, C(A.REFUSE, "Contrary to national law"))])
    assert request.state is State.REFUSED
    assert request.outcome == "refused"
    assert request.open_deadlines() == ()
    assert drive.events[-1].notify is Side.REQUESTING
    assert drive.events[-1].details["text"] == "Contrary to national law"
    assert invariant_violations(request) == []
    closed = drive(request, [(KAZ_OFFICER, C(A.CLOSE))])
    assert closed.state is State.CLOSED


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("text", ["", "  \n"])
def test_art9_para2_refusal_without_reasons_is_refused(
    draft: Request,
    at: Any,
    drive: Any,
    partial: bool,
    text: str,
) -> None:
    request = at(draft, State.IN_EXECUTION)
    v = denied(drive, request, RUS_HEAD, C(A.REFUSE, text, partial=partial))
    assert (v.field, v.rule, v.article) == ("text", "art9.reasons", "Art. 9 para 2")


def test_art9_only_the_head_refuses(draft: Request, at: Any, drive: Any) -> None:
    request = at(draft, State.IN_EXECUTION)
    for officer_id in (RUS_OFFICER, "rus-mvd.liaison"):
        v = denied(drive, request, officer_id, C(A.REFUSE, "reasons"))
        assert v.rule == "lifecycle.role"


def test_art7_para7_execution_needs_its_results(draft: Request, at: Any, drive: Any) -> None:
    request = at(draft, State.IN_EXECUTION)
    v = denied(drive, request, RUS_OFFICER, C(A.EXECUTE, ""))
    assert (v.field, v.rule, v.article) == ("text", "art7.results", "Art. 7 para 7")


# --- withdrawal -----------------------------------------------------------------------


@pytest.mark.parametrize("state", sorted(ACTIONS[A.WITHDRAW].sources))
def test_requesting_head_may_withdraw_until_the_request_is_finished(
    draft: Request, at: Any, drive: Any, state: State
) -> None:
    request = drive(at(draft, state), [(KAZ_HEAD, C(A.WITHDRAW))])
    assert request.state is State.WITHDRAWN
    assert request.outcome == "withdrawn"
    assert request.postponed_at is None
    assert request.open_deadlines() == ()
    assert drive.events[-1].notify is Side.REQUESTED
    assert drive.events[-1].articles == ("Art. 6 para 1",)
    assert invariant_violations(request) == []


@pytest.mark.parametrize("state", [State.EXECUTED, State.REFUSED, State.WITHDRAWN, State.CLOSED])
def test_a_finished_request_cannot_be_withdrawn(
    draft: Request,
    at: Any,
    drive: Any,
    state: State,
) -> None:
    request = at(draft, state)
    v = denied(drive, request, KAZ_HEAD, C(A.WITHDRAW))
    assert v.rule == "lifecycle.transition"


def test_only_the_requesting_head_withdraws(draft: Request, at: Any, drive: Any) -> None:
    request = at(draft, State.SENT)
    assert denied(drive, request, KAZ_OFFICER, C(A.WITHDRAW)).rule == ("lifecycle.role")
    assert denied(drive, request, RUS_HEAD, C(A.WITHDRAW)).rule == ("lifecycle.role")


# --- Art. 6 paras 3–5: writing, signature, urgency ---------------------------------


def test_art6_para3_non_urgent_request_cannot_be_sent_unsigned(
    draft: Request, drive: Any, t0: datetime
) -> None:
    v = denied(drive, draft, KAZ_OFFICER, C(A.SEND), t0)
    assert (v.rule, v.article) == ("art6.written", "Art. 6 para 3")
    v = denied(drive, draft, KAZ_OFFICER, C(A.SEND_URGENT), t0)
    assert (v.rule, v.article) == ("art6.urgent", "Art. 6 para 4")


def test_art6_para4_signed_request_is_sent_with_send_not_send_urgent(
    urgent_draft: Request, drive: Any
) -> None:
    signed = drive(urgent_draft, [(KAZ_HEAD, C(A.SIGN))])
    v = denied(drive, signed, KAZ_OFFICER, C(A.SEND_URGENT))
    assert v.rule == "art6.urgent"
    sent = drive(signed, [(KAZ_OFFICER, C(A.SEND))])
    assert sent.deadline(DeadlineKind.URGENT_CONFIRMATION) is None, "already in writing"
    assert not sent.awaiting_confirmation


@pytest.mark.parametrize("officer_id", [KAZ_OFFICER, KAZ_LIAISON])
def test_art6_para5_only_the_head_or_a_deputy_signs(
    draft: Request, drive: Any, t0: datetime, officer_id: str
) -> None:
    v = denied(drive, draft, officer_id, C(A.SIGN), t0)
    assert (v.field, v.rule, v.article) == ("actor", "art6.signatory", "Art. 6 para 5")


def test_art6_para5_head_of_another_body_cannot_sign(
    draft: Request, drive: Any, t0: datetime
) -> None:
    for officer_id in (RUS_HEAD, "blr-mvd.head"):
        v = denied(drive, draft, officer_id, C(A.SIGN), t0)
        assert v.rule == "lifecycle.role"


def test_art6_para4_urgent_request_goes_before_signature_and_is_confirmed_in_time(
    urgent_draft: Request, drive: Any
) -> None:
    sent_at = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    request = drive.step(urgent_draft, KAZ_OFFICER, C(A.SEND_URGENT), sent_at)
    confirmation = request.deadline(DeadlineKind.URGENT_CONFIRMATION)
    assert request.state is State.SENT
    assert request.signed_at is None
    assert request.awaiting_confirmation
    assert confirmation.due_at == sent_at + timedelta(hours=72) == confirmation_due(sent_at)
    assert drive.events[-1].details == {"confirmation_due": confirmation.due_at.isoformat()}
    assert drive.events[-1].articles == ("Art. 6 para 4",)

    request = drive.step(request, RUS_OFFICER, C(A.RECEIVE), sent_at + timedelta(hours=2))
    confirmed_at = sent_at + timedelta(hours=71, minutes=59)
    request = drive.step(request, KAZ_HEAD, C(A.CONFIRM), confirmed_at)
    assert request.state is State.RECEIVED, "confirmation does not change the state"
    assert request.deadline(DeadlineKind.URGENT_CONFIRMATION).met_at == confirmed_at
    assert request.signed_by == KAZ_HEAD
    assert request.signed_at == confirmed_at
    assert not request.awaiting_confirmation
    assert drive.events[-1].details == {"late": False}
    assert drive.events[-1].notify is Side.REQUESTED
    assert DeadlineKind.URGENT_CONFIRMATION not in {
        d.kind for d in request.overdue(sent_at + timedelta(days=5))
    }
    assert invariant_violations(request) == []


def test_art6_para4_unconfirmed_urgent_request_is_overdue_after_72_hours(
    urgent_draft: Request, drive: Any
) -> None:
    sent_at = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    request = drive.step(urgent_draft, KAZ_OFFICER, C(A.SEND_URGENT), sent_at)
    request = drive(
        request,
        [
            (RUS_OFFICER, C(A.RECEIVE)),
            (RUS_OFFICER, C(A.START_EXECUTION)),
            (RUS_OFFICER, C(A.EXECUTE, "Identified")),
        ],
    )
    assert request.state is State.EXECUTED
    just_before = sent_at + timedelta(hours=72) - timedelta(seconds=1)
    assert request.overdue(just_before) == ()
    overdue = request.overdue(sent_at + timedelta(hours=72))
    assert [d.kind for d in overdue] == [DeadlineKind.URGENT_CONFIRMATION]
    assert invariant_violations(request) == []

    late = drive.step(request, KAZ_HEAD, C(A.CONFIRM), sent_at + timedelta(hours=80))
    assert drive.events[-1].details == {"late": True}
    assert late.overdue(sent_at + timedelta(hours=80)) == ()


def test_art6_para4_confirmation_by_a_non_signatory_is_refused(
    urgent_draft: Request, drive: Any
) -> None:
    request = drive(urgent_draft, [(KAZ_OFFICER, C(A.SEND_URGENT))])
    v = denied(drive, request, KAZ_OFFICER, C(A.CONFIRM))
    # The written confirmation is the request's signature: head or deputy only.
    assert (v.rule, v.article) == ("art6.signatory", "Art. 6 para 5")


def test_art6_para4_nothing_to_confirm_on_a_signed_request(
    draft: Request, at: Any, drive: Any
) -> None:
    request = at(draft, State.SENT)
    v = denied(drive, request, KAZ_HEAD, C(A.CONFIRM))
    assert (v.rule, v.article) == ("art6.urgent_confirmation", "Art. 6 para 4")


def test_art6_para4_confirmation_cannot_be_given_twice(urgent_draft: Request, drive: Any) -> None:
    request = drive(urgent_draft, [(KAZ_OFFICER, C(A.SEND_URGENT)), (KAZ_HEAD, C(A.CONFIRM))])
    v = denied(drive, request, KAZ_HEAD, C(A.CONFIRM))
    assert v.rule == "art6.urgent_confirmation"


def test_art6_para4_withdrawal_ends_the_confirmation_clock(
    urgent_draft: Request, drive: Any
) -> None:
    request = drive(urgent_draft, [(KAZ_OFFICER, C(A.SEND_URGENT)), (KAZ_HEAD, C(A.WITHDRAW))])
    assert request.state is State.WITHDRAWN
    assert request.open_deadlines() == ()


# --- who may act: sides, bodies, Parties, roles --------------------------------------


@pytest.mark.parametrize("officer_id", ["rus-fsb.officer", "blr-mvd.officer", KAZ_OFFICER])
def test_art4_only_the_requested_body_receives(
    draft: Request,
    at: Any,
    drive: Any,
    officer_id: str,
) -> None:
    """Another body of the same Party, another Party, or the requesting side: all denied."""
    request = at(draft, State.SENT)
    v = denied(drive, request, officer_id, C(A.RECEIVE))
    assert (v.field, v.rule, v.article) == ("actor", "lifecycle.role", "Art. 4")


def test_art4_another_body_cannot_act_for_the_requesting_side(
    draft: Request, drive: Any, t0: datetime
) -> None:
    v = denied(drive, draft, "blr-mvd.head", C(A.SIGN), t0)
    assert v.rule == "lifecycle.role"


@pytest.mark.parametrize("outsider", ["auditor", "csto.secretariat"])
@pytest.mark.parametrize("state", list(State))
def test_auditor_and_secretariat_may_do_nothing_to_a_request(
    draft: Request, at: Any, drive: Any, outsider: str, state: State
) -> None:
    request = at(draft, state)
    officer, context = drive.officers[outsider], drive.context
    assert allowed_actions(request, officer, context, drive.now) == []
    for action in Action:
        command = C(action, text="text", target_body="RUS-FSB")
        assert not check(request, command, officer, context, drive.now).allowed
        with pytest.raises(ProtocolError):
            transition(request, command, officer, context, drive.now)


@pytest.mark.parametrize("state", list(State))
def test_terminal_states_allow_nothing_and_the_others_something(
    draft: Request, at: Any, drive: Any, state: State
) -> None:
    request = at(draft, state)
    offered = {
        a
        for o in drive.officers.values()
        for a in allowed_actions(request, o, drive.context, drive.now)
    }
    if state in TERMINAL:
        assert offered == set()
    else:
        assert offered, f"a {state} request must be movable by someone"


# --- events and the action table ---------------------------------------------------


def test_every_event_cites_its_article_and_the_ruleset(
    draft: Request, urgent_draft: Request, at: Any, drive: Any
) -> None:
    for state in State:
        at(draft, state)
    drive(
        urgent_draft,
        [
            (KAZ_OFFICER, C(A.SEND_URGENT)),
            (KAZ_HEAD, C(A.CONFIRM)),
            (RUS_OFFICER, C(A.RECEIVE)),
            (RUS_OFFICER, C(A.NOTIFY_DELAY, "Provider is slow")),
            (RUS_HEAD, C(A.POSTPONE, "Key stage")),
            (RUS_OFFICER, C(A.RESUME)),
            (RUS_OFFICER, C(A.REQUEST_INFO, "Which IP?")),
            (KAZ_OFFICER, C(A.PROVIDE_INFO, "198.51.100.7")),
            (RUS_HEAD, C(A.PROPOSE_CONDITIONS, "Only case 123")),
            (KAZ_HEAD, C(A.ACCEPT_CONDITIONS)),
            (RUS_HEAD, C(A.REFUSE, "Item 2", partial=True)),
            (RUS_OFFICER, C(A.REPORT_RESULTS, "Interim")),
            (RUS_OFFICER, C(A.EXECUTE, "Done")),
        ],
    )
    seen = set()
    for event in drive.events:
        assert event.ruleset == RULESET_VERSION
        assert event.request_id == "REQ-1"
        assert event.at.tzinfo is UTC
        action = EVENT_ACTION[event.name]
        seen.add(action)
        assert event.articles == (RULES[ACTIONS[action].rule].article,)
        assert event.articles[0].startswith("Art. ")
        assert event.notify is ACTIONS[action].notify
        assert event.as_dict()["ruleset"] == RULESET_VERSION
        assert event.as_dict()["articles"] == list(event.articles)
    # The cooperation actions (Art. 8, 11, 12) have their own: tests/core/test_cooperation.py.
    expected = set(Action) - COOPERATION_ACTIONS
    assert seen == expected, f"not exercised: {expected - seen}"


def test_event_records_actor_body_and_states(draft: Request, drive: Any) -> None:
    drive(draft, [(KAZ_HEAD, C(A.SIGN, details={"ref": "KZ-1"}))])
    (event,) = drive.events
    assert (event.actor_id, event.body_id) == (KAZ_HEAD, "KAZ-MVD")
    assert (event.state_from, event.state_to) == ("draft", "signed")
    assert event.details == {"ref": "KZ-1"}


def test_decision_names_the_rule_and_the_ruleset(
    draft: Request, officers: dict[str, Officer], context: Context, t0: datetime
) -> None:
    decision = check(draft, C(A.SIGN), officers[KAZ_HEAD], context, t0)
    assert decision.allowed
    assert decision.rules == ("art6.signatory",)
    assert decision.articles == ("Art. 6 para 5",)
    assert decision.ruleset == RULESET_VERSION


def test_a_refused_transition_leaves_the_request_unchanged(
    draft: Request, officers: dict[str, Officer], context: Context, t0: datetime
) -> None:
    with pytest.raises(ProtocolError):
        transition(draft, C(A.SEND), officers[KAZ_OFFICER], context, t0)
    assert draft.state is State.DRAFT
    assert draft.version == 0


def probe(action: Action, request: Request, context: Context, now: datetime) -> Command:
    """The command ``allowed_actions`` is documented to consider: any text, a valid target."""
    if action is A.FORWARD:
        current = context.registry.get(request.requested_body)
        targets = [
            b.id
            for b in context.registry.designated(now, current.party)
            if b.id != request.requested_body
        ]
        return C(action, "reasons", target_body=targets[0] if targets else None)
    return C(action, "reasons" if ACTIONS[action].needs_text else "")


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("urgent", [False, True])
def test_allowed_actions_matches_check_in_every_state(
    make_request: MakeRequest, at: Any, drive: Any, state: State, urgent: bool
) -> None:
    """Each offered action passes ``check`` and applies; each other one raises."""
    request = at(make_request(**(URGENT if urgent else {})), state, urgent_sending=urgent)
    now, context = drive.now + timedelta(minutes=5), drive.context
    for officer in drive.officers.values():
        offered = allowed_actions(request, officer, context, now)
        for action in Action:
            command = probe(action, request, context, now)
            assert check(request, command, officer, context, now).allowed == (action in offered)
            if action in offered:
                after = transition(request, command, officer, context, now).request
                assert invariant_violations(after) == []
            else:
                with pytest.raises(ProtocolError):
                    transition(request, command, officer, context, now)


def test_every_action_is_in_the_table_with_a_known_rule() -> None:
    assert set(ACTIONS) == set(Action)
    for action, spec in ACTIONS.items():
        assert spec.rule in RULES, action
        assert spec.event.startswith("request:")
        assert spec.target is None or spec.target not in spec.sources, action
        assert not (spec.sources & TERMINAL), f"{action} from a terminal state"


def test_art6_para4_an_unconfirmed_urgent_request_cannot_be_closed(
    urgent_draft: Request, drive: Any
) -> None:
    request = drive(
        urgent_draft,
        [
            (KAZ_OFFICER, C(A.SEND_URGENT)),
            (RUS_OFFICER, C(A.RECEIVE)),
            (RUS_HEAD, C(A.REFUSE, text="Contrary to national law")),
        ],
    )
    v = denied(drive, request, KAZ_OFFICER, C(A.CLOSE))
    assert (v.rule, v.article) == ("art6.urgent_confirmation", "Art. 6 para 4")
    confirmed = drive(request, [(KAZ_HEAD, C(A.CONFIRM)), (KAZ_OFFICER, C(A.CLOSE))])
    assert confirmed.state is State.CLOSED


def test_art9_execution_after_a_partial_refusal_is_partial(draft: Request, drive: Any) -> None:
    request = drive(
        draft,
        [
            (KAZ_HEAD, C(A.SIGN)),
            (KAZ_OFFICER, C(A.SEND)),
            (RUS_OFFICER, C(A.RECEIVE)),
            (RUS_OFFICER, C(A.START_EXECUTION)),
            (RUS_HEAD, C(A.REFUSE, text="Seizure needs a court order", partial=True)),
            (RUS_OFFICER, C(A.EXECUTE, text="Witness heard")),
        ],
    )
    assert request.outcome == "executed_partial"


def test_art7_para6_postponement_extends_in_local_calendar_days() -> None:
    """Almaty moved from UTC+6 to UTC+5 on 2024-03-01: the term still ends at local midnight."""
    zone = ZoneInfo("Asia/Almaty")
    due = datetime(2024, 2, 21, 0, 0, tzinfo=zone).astimezone(UTC)  # end of 20 February
    paused, resumed = datetime(2024, 2, 10, tzinfo=UTC), datetime(2024, 2, 19, 12, tzinfo=UTC)
    extended = extend_for_postponement(due, paused, resumed, zone).astimezone(zone)
    # Day 20 Feb + 10 days: the last day is 1 March, so the term runs out at 2 March 00:00.
    assert (extended.date().isoformat(), extended.hour, extended.minute) == ("2024-03-02", 0, 0)
