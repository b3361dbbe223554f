"""The states of a request and the table of actions between them (Art. 6–9).

One row per action: which side acts, which roles may, from which states, to which state,
the rule (and so the article) it rests on, and whom the other side must be told.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ozara.core.events import Side
from ozara.core.parties import Role


class State(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    SENT = "sent"
    RECEIVED = "received"
    FORWARDED = "forwarded"
    IN_EXECUTION = "in_execution"
    INFO_REQUESTED = "info_requested"
    POSTPONED = "postponed"
    CONDITIONS_PROPOSED = "conditions_proposed"
    CONDITIONS_DECLINED = "conditions_declined"
    EXECUTED = "executed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({State.WITHDRAWN, State.CLOSED})
#: States in which the requested body holds the request and its clock runs.
WITH_REQUESTED = frozenset(
    {
        State.RECEIVED,
        State.FORWARDED,
        State.IN_EXECUTION,
        State.INFO_REQUESTED,
        State.POSTPONED,
        State.CONDITIONS_PROPOSED,
        State.CONDITIONS_DECLINED,
    }
)


class Action(enum.StrEnum):
    SIGN = "sign"
    SEND = "send"
    SEND_URGENT = "send_urgent"
    CONFIRM = "confirm"
    RECEIVE = "receive"
    FORWARD = "forward"
    START_EXECUTION = "start_execution"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    POSTPONE = "postpone"
    RESUME = "resume"
    PROPOSE_CONDITIONS = "propose_conditions"
    ACCEPT_CONDITIONS = "accept_conditions"
    DECLINE_CONDITIONS = "decline_conditions"
    NOTIFY_DELAY = "notify_delay"
    REPORT_RESULTS = "report_results"
    EXECUTE = "execute"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    CLOSE = "close"
    # Cooperation on the request (ozara/core/cooperation.py): the state does not change.
    PROPOSE_PARTICIPATION = "propose_participation"
    ANSWER_PARTICIPATION = "answer_participation"
    RECORD_PARTICIPATION = "record_participation"
    RECORD_CONSULTATION = "record_consultation"
    PROPOSE_COSTS = "propose_costs"
    ANSWER_COSTS = "answer_costs"


#: Staff who run a case day to day.
OPS = frozenset({Role.OFFICER, Role.SIGNATORY, Role.LIAISON})
#: The head of the body or a deputy: signs, and takes the formal decisions that bind it.
HEAD = frozenset({Role.SIGNATORY})


@dataclass(frozen=True, slots=True)
class ActionSpec:
    #: None: either body of the request (consultations, costs: Art. 11, 12).
    side: Side | None
    roles: frozenset[Role]
    sources: frozenset[State]
    #: None: the state does not change (a notice, an interim report, cooperation).
    target: State | None
    rule: str
    event: str
    #: The command must carry a text (reasons, conditions, results...).
    needs_text: bool
    #: For an action of either side (``side`` None), the other side is told.
    notify: Side | None


_REQ, _RED = Side.REQUESTING, Side.REQUESTED
_TAKE_UP = frozenset({State.RECEIVED, State.FORWARDED})
_ACTIVE = _TAKE_UP | {State.IN_EXECUTION}
_CONFIRMABLE = WITH_REQUESTED | {State.SENT, State.EXECUTED, State.REFUSED}
_WITHDRAWABLE = WITH_REQUESTED | {State.DRAFT, State.SIGNED, State.SENT}
#: Representatives take part while execution is pending or in progress (Art. 8); who took
#: part is recorded once it is done too.
_PARTICIPATION = WITH_REQUESTED
_RECORDABLE = WITH_REQUESTED | {State.EXECUTED}
#: Consultations and costs: any time both bodies hold the request, until it is finished.
_BOTH_HOLD = WITH_REQUESTED | {State.SENT, State.EXECUTED, State.REFUSED}
_ANY = None
_S = State

# A table reads best as a table: one row per action, so formatting is off here.
# fmt: off
_ROWS: list[tuple[Action, Side | None, frozenset[Role], frozenset[State], State | None, str, bool, Side | None]] = [
    # action                  side  roles  from states                      to state            rule                           text?  notify
    (Action.SIGN,             _REQ, HEAD, frozenset({_S.DRAFT}),            _S.SIGNED,          "art6.signatory",              False, None),
    (Action.SEND,             _REQ, OPS,  frozenset({_S.SIGNED}),           _S.SENT,            "art6.written",                False, _RED),
    (Action.SEND_URGENT,      _REQ, OPS,  frozenset({_S.DRAFT}),            _S.SENT,            "art6.urgent",                 False, _RED),
    (Action.CONFIRM,          _REQ, HEAD, _CONFIRMABLE,                     None,               "art6.urgent_confirmation",    False, _RED),
    (Action.RECEIVE,          _RED, OPS,  frozenset({_S.SENT}),             _S.RECEIVED,        "art7.execution_term",         False, _REQ),
    (Action.FORWARD,          _RED, OPS,  frozenset({_S.RECEIVED}),         _S.FORWARDED,       "art7.forwarding",             False, _REQ),
    (Action.START_EXECUTION,  _RED, OPS,  _TAKE_UP | {_S.CONDITIONS_DECLINED}, _S.IN_EXECUTION, "art7.execution_term",        False, None),
    (Action.REQUEST_INFO,     _RED, OPS,  _ACTIVE,                          _S.INFO_REQUESTED,  "art7.additional_information", True,  _REQ),
    (Action.PROVIDE_INFO,     _REQ, OPS,  frozenset({_S.INFO_REQUESTED}),   _S.IN_EXECUTION,    "art7.additional_information", True,  _RED),
    (Action.POSTPONE,         _RED, HEAD, _ACTIVE,                          _S.POSTPONED,       "art7.postponement",           True,  _REQ),
    (Action.RESUME,           _RED, OPS,  frozenset({_S.POSTPONED}),        _S.IN_EXECUTION,    "art7.postponement",           False, _REQ),
    (Action.PROPOSE_CONDITIONS, _RED, HEAD, _ACTIVE | {_S.POSTPONED},       _S.CONDITIONS_PROPOSED, "art7.conditions",         True,  _REQ),
    (Action.ACCEPT_CONDITIONS, _REQ, HEAD, frozenset({_S.CONDITIONS_PROPOSED}), _S.IN_EXECUTION, "art7.conditions",           False, _RED),
    (Action.DECLINE_CONDITIONS, _REQ, HEAD, frozenset({_S.CONDITIONS_PROPOSED}), _S.CONDITIONS_DECLINED, "art7.conditions",   False, _RED),
    (Action.NOTIFY_DELAY,     _RED, OPS,  WITH_REQUESTED,                   None,               "art7.delay_notice",           True,  _REQ),
    (Action.REPORT_RESULTS,   _RED, OPS,  frozenset({_S.IN_EXECUTION}),     None,               "art7.results",                True,  _REQ),
    (Action.EXECUTE,          _RED, OPS,  frozenset({_S.IN_EXECUTION}),     _S.EXECUTED,        "art7.results",                True,  _REQ),
    (Action.REFUSE,           _RED, HEAD, WITH_REQUESTED,                   _S.REFUSED,         "art9.reasons",                True,  _REQ),
    (Action.WITHDRAW,         _REQ, HEAD, _WITHDRAWABLE,                    _S.WITHDRAWN,       "lifecycle.withdrawal",        False, _RED),
    (Action.CLOSE,            _REQ, OPS,  frozenset({_S.EXECUTED, _S.REFUSED}), _S.CLOSED,      "art7.results",                False, None),
    (Action.PROPOSE_PARTICIPATION, _REQ, OPS, _PARTICIPATION,               None,               "art8.participation",          False, _RED),
    (Action.ANSWER_PARTICIPATION, _RED, HEAD, _PARTICIPATION,               None,               "art8.answer",                 False, _REQ),
    (Action.RECORD_PARTICIPATION, _RED, OPS, _RECORDABLE,                   None,               "art8.not_agreed",             False, _REQ),
    (Action.RECORD_CONSULTATION, _ANY, OPS, _BOTH_HOLD,                     None,               "art11.consultation",          True,  None),
    (Action.PROPOSE_COSTS,    _ANY, OPS,  _BOTH_HOLD,                       None,               "art12.costs",                 False, None),
    (Action.ANSWER_COSTS,     _ANY, HEAD, _BOTH_HOLD,                       None,               "art12.answer",                False, None),
]
# fmt: on

#: The event each action records, in the past tense: "request:<this>".
_PAST: dict[Action, str] = {
    Action.SIGN: "signed",
    Action.SEND: "sent",
    Action.SEND_URGENT: "sent_urgent",
    Action.CONFIRM: "confirmed",
    Action.RECEIVE: "received",
    Action.FORWARD: "forwarded",
    Action.START_EXECUTION: "execution_started",
    Action.REQUEST_INFO: "info_requested",
    Action.PROVIDE_INFO: "info_provided",
    Action.POSTPONE: "postponed",
    Action.RESUME: "resumed",
    Action.PROPOSE_CONDITIONS: "conditions_proposed",
    Action.ACCEPT_CONDITIONS: "conditions_accepted",
    Action.DECLINE_CONDITIONS: "conditions_declined",
    Action.NOTIFY_DELAY: "delay_notified",
    Action.REPORT_RESULTS: "interim_results",
    Action.EXECUTE: "executed",
    Action.REFUSE: "refused",
    Action.WITHDRAW: "withdrawn",
    Action.CLOSE: "closed",
    Action.PROPOSE_PARTICIPATION: "participation_proposed",
    Action.ANSWER_PARTICIPATION: "participation_answered",
    Action.RECORD_PARTICIPATION: "participation_recorded",
    Action.RECORD_CONSULTATION: "consultation_recorded",
    Action.PROPOSE_COSTS: "costs_proposed",
    Action.ANSWER_COSTS: "costs_answered",
}

ACTIONS: dict[Action, ActionSpec] = {
    action: ActionSpec(side, roles, sources, target, rule, f"request:{_PAST[action]}", text, note)
    for action, side, roles, sources, target, rule, text, note in _ROWS
}
