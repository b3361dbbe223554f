"""Representatives (Art. 8), consultations (Art. 11) and costs (Art. 12) on a request.

Each is an action of the request's lifecycle that leaves the state as it is; each denial
names its field, its rule and its article.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ozara.core.actions import ACTIONS, Action, State
from ozara.core.cooperation import COOPERATION_ACTIONS, Status
from ozara.core.cooperation_forms import from_json, stored, to_json
from ozara.core.events import Side
from ozara.core.lifecycle import Command, Request, allowed_actions, check, transition
from ozara.core.rules import RULES, ProtocolError, Violation

from .test_lifecycle import PATHS

A, C = Action, Command
KAZ_OFFICER, KAZ_HEAD = "kaz-mvd.officer", "kaz-mvd.head"
RUS_OFFICER, RUS_HEAD = "rus-mvd.officer", "rus-mvd.head"
BLR_OFFICER = "blr-mvd.officer"

IVANOV = {"name": "A. Ivanov", "post": "Senior investigator", "body": "KAZ-MVD"}
SEITOV = {"name": "B. Seitov", "post": "IT expert", "body": "KAZ-MVD"}


def proposal(**overrides: Any) -> Command:
    details: dict[str, Any] = {
        "representatives": [IVANOV, SEITOV],
        "date_from": "2025-02-01",
        "date_to": "2025-02-05",
        "actions": ["Questioning of the hosting provider's staff"],
    }
    details.update(overrides)
    return C(A.PROPOSE_PARTICIPATION, "Needed to put questions from case No. 123", details=details)


def answer(decision: str = "agreed", text: str = "", **more: Any) -> Command:
    return C(A.ANSWER_PARTICIPATION, text, details={"proposal": 1, "decision": decision, **more})


def took_part(*names: str, number: int = 1) -> Command:
    return C(A.RECORD_PARTICIPATION, details={"proposal": number, "took_part": list(names)})


def consultation(**overrides: Any) -> Command:
    details: dict[str, Any] = {
        "bodies": ["KAZ-MVD", "RUS-MVD"],
        "persons": ["A. Ivanov", "P. Petrov"],
        "held_on": "2025-01-15",
        "subject": "request",
    }
    details.update(overrides)
    return C(A.RECORD_CONSULTATION, "Agreed to narrow item 2 to one address", details=details)


SHARE = {"borne_by": "requesting", "what": "Travel of the representatives", "amount": "1500.00",
         "currency": "USD"}  # fmt: skip


def costs(*shares: dict[str, Any]) -> Command:
    return C(A.PROPOSE_COSTS, "Travel costs", details={"shares": list(shares or [SHARE])})


def costs_answer(decision: str = "accepted", number: int = 1) -> Command:
    return C(A.ANSWER_COSTS, details={"proposal": number, "decision": decision})


@pytest.fixture
def executing(make_request: Any, drive: Any) -> Request:
    request: Request = drive(make_request(), PATHS[State.IN_EXECUTION])
    return request


def denied(drive: Any, request: Request, officer_id: str, command: Command) -> Violation:
    officer = drive.officers[officer_id]
    drive.now += timedelta(hours=1)
    assert not check(request, command, officer, drive.context, drive.now).allowed
    with pytest.raises(ProtocolError) as caught:
        transition(request, command, officer, drive.context, drive.now)
    return caught.value.violations[0]


def where(v: Violation) -> tuple[str, str, str]:
    return v.field, v.rule, v.article


# --- Art. 8: representatives -----------------------------------------------------------


def test_art8_participation_proposed_agreed_and_recorded(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal()), (RUS_HEAD, answer())])
    (p,) = r.cooperation.participations
    assert p.status is Status.AGREED and p.agreed == ("A. Ivanov", "B. Seitov")
    r = drive(r, [(RUS_OFFICER, took_part("A. Ivanov"))])
    (p,) = r.cooperation.participations
    assert p.took_part == ("A. Ivanov",) and p.recorded_by == RUS_OFFICER
    assert r.state is State.IN_EXECUTION and r.version == executing.version + 3
    names = [e.name for e in drive.events[-3:]]
    assert names == ["request:participation_proposed", "request:participation_answered",
                     "request:participation_recorded"]  # fmt: skip
    assert all(e.articles == ("Art. 8",) for e in drive.events[-3:])
    assert [e.notify for e in drive.events[-3:]] == [Side.REQUESTED, Side.REQUESTING,
                                                     Side.REQUESTING]  # fmt: skip
    assert drive.events[-3].details["representatives"][0]["name"] == "A. Ivanov"


def test_art8_a_representative_not_agreed_cannot_be_recorded(
    executing: Request, drive: Any
) -> None:
    r = drive(
        executing,
        [(KAZ_OFFICER, proposal()),
         (RUS_HEAD, answer(text="Only the investigator", agreed=["A. Ivanov"]))],
    )  # fmt: skip
    assert r.cooperation.participations[0].agreed == ("A. Ivanov",)
    v = denied(drive, r, RUS_OFFICER, took_part("A. Ivanov", "B. Seitov"))
    assert where(v) == ("took_part[1]", "art8.not_agreed", "Art. 8")
    assert "B. Seitov" in v.message
    # Nobody named outside the proposal either.
    v = denied(drive, r, RUS_OFFICER, took_part("C. Stranger"))
    assert where(v) == ("took_part[0]", "art8.not_agreed", "Art. 8")


def test_art8_nobody_takes_part_under_a_refused_participation(
    executing: Request, drive: Any
) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal()), (RUS_HEAD, answer("refused", "Secret site"))])
    assert r.cooperation.participations[0].status is Status.REFUSED
    assert r.cooperation.participations[0].reasons == "Secret site"
    v = denied(drive, r, RUS_OFFICER, took_part("A. Ivanov"))
    assert where(v) == ("proposal", "art8.not_agreed", "Art. 8")


def test_art8_not_yet_answered_is_not_agreed(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal())])
    v = denied(drive, r, RUS_OFFICER, took_part("A. Ivanov"))
    assert where(v) == ("proposal", "art8.not_agreed", "Art. 8")


def test_art8_who_took_part_is_recorded_once(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal()), (RUS_HEAD, answer()),
                          (RUS_OFFICER, took_part("A. Ivanov"))])  # fmt: skip
    v = denied(drive, r, RUS_OFFICER, took_part("B. Seitov"))
    assert where(v) == ("proposal", "art8.not_agreed", "Art. 8")


def test_art8_recorded_after_execution_too(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal()), (RUS_HEAD, answer()),
                          (RUS_OFFICER, C(A.EXECUTE, "Done"))])  # fmt: skip
    r = drive(r, [(RUS_OFFICER, took_part("A. Ivanov", "B. Seitov"))])
    assert r.state is State.EXECUTED
    assert r.cooperation.participations[0].took_part == ("A. Ivanov", "B. Seitov")


def test_art8_a_refusal_states_its_reasons(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal())])
    assert where(denied(drive, r, RUS_HEAD, answer("refused"))) == ("text", "art8.answer", "Art. 8")
    v = denied(drive, r, RUS_HEAD, answer(agreed=["A. Ivanov"]))
    assert where(v) == ("text", "art8.answer", "Art. 8")
    v = denied(drive, r, RUS_HEAD, answer(text="x", agreed=["Nobody"]))
    assert where(v) == ("agreed", "art8.answer", "Art. 8")
    v = denied(drive, r, RUS_HEAD, answer("refused", "x", agreed=["A. Ivanov"]))
    assert where(v) == ("agreed", "art8.answer", "Art. 8")
    v = denied(drive, r, RUS_HEAD, answer("maybe"))
    assert where(v) == ("decision", "art8.answer", "Art. 8")


def test_art8_only_the_requested_head_or_deputy_answers(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal())])
    assert where(denied(drive, r, RUS_OFFICER, answer())) == ("actor", "art8.answer", "Art. 8")
    assert denied(drive, r, KAZ_HEAD, answer()).rule == "lifecycle.role"


def test_art8_answered_once(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal()), (RUS_HEAD, answer())])
    v = denied(drive, r, RUS_HEAD, answer("refused", "Changed our mind"))
    assert where(v) == ("proposal", "art8.answer", "Art. 8")
    v = denied(
        drive, r, RUS_HEAD, C(A.ANSWER_PARTICIPATION, details={"proposal": 2, "decision": "agreed"})
    )
    assert where(v) == ("proposal", "art8.answer", "Art. 8")


def test_art8_one_pending_proposal_at_a_time(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, proposal())])
    v = denied(drive, r, KAZ_OFFICER, proposal())
    assert where(v) == ("action", "art8.participation", "Art. 8")
    r = drive(r, [(RUS_HEAD, answer("refused", "Not now")), (KAZ_OFFICER, proposal())])
    assert [p.number for p in r.cooperation.participations] == [1, 2]


def test_art8_proposed_by_the_requesting_body(executing: Request, drive: Any) -> None:
    assert denied(drive, executing, RUS_OFFICER, proposal()).rule == "lifecycle.role"
    assert denied(drive, executing, BLR_OFFICER, proposal()).rule == "lifecycle.role"


@pytest.mark.parametrize(
    "state", [State.DRAFT, State.SIGNED, State.SENT, State.EXECUTED, State.REFUSED]
)
def test_art8_only_while_execution_is_pending_or_under_way(
    make_request: Any, drive: Any, state: State
) -> None:
    r = drive(make_request(), PATHS[state])
    assert where(denied(drive, r, KAZ_OFFICER, proposal())) == (
        "state", "art8.participation", "Art. 8",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"representatives": []}, "representatives", "art8.representatives"),
        ({"representatives": [{**IVANOV, "post": " "}]}, "representatives[0].post",
         "art8.representatives"),
        ({"representatives": [{**IVANOV, "body": "RUS-MVD"}]}, "representatives[0].body",
         "art8.representatives"),
        ({"representatives": [IVANOV, IVANOV]}, "representatives", "art8.representatives"),
        ({"representatives": [{"name": "X"}]}, "representatives[0]", "art8.representatives"),
        ({"actions": []}, "actions", "art8.representatives"),
        ({"date_from": "1 Feb"}, "date_from", "input.type"),
        ({"date_to": "2025-01-31"}, "date_to", "art8.participation"),
        ({"date_from": "2024-12-01", "date_to": "2024-12-02"}, "date_to", "art8.participation"),
        ({"team": "x"}, "team", "input.unknown_field"),
    ],
)  # fmt: skip
def test_art8_what_a_participation_request_states(
    executing: Request, drive: Any, overrides: dict[str, Any], field: str, rule: str
) -> None:
    v = denied(drive, executing, KAZ_OFFICER, proposal(**overrides))
    assert (v.field, v.rule) == (field, rule)


def test_art8_a_missing_field_is_named(executing: Request, drive: Any) -> None:
    command = C(A.PROPOSE_PARTICIPATION, details={"representatives": [IVANOV]})
    officer = drive.officers[KAZ_OFFICER]
    found = check(executing, command, officer, drive.context, drive.now).violations
    assert {v.field for v in found} == {"date_from", "date_to", "actions"}


# --- Art. 11: consultations -------------------------------------------------------------


@pytest.mark.parametrize("officer", [KAZ_OFFICER, RUS_OFFICER])
def test_art11_either_body_records_a_consultation(
    executing: Request, drive: Any, officer: str
) -> None:
    r = drive(executing, [(officer, consultation())])
    (c,) = r.cooperation.consultations
    assert c.outcome.startswith("Agreed") and c.subject == "request" and c.recorded_by == officer
    assert r.state is executing.state
    event = drive.events[-1]
    assert event.articles == ("Art. 11",)
    assert event.notify is (Side.REQUESTED if officer == KAZ_OFFICER else Side.REQUESTING)


def test_art11_a_disagreement_over_a_refusal(make_request: Any, drive: Any) -> None:
    refused = drive(make_request(), PATHS[State.REFUSED])
    r = drive(refused, [(KAZ_OFFICER, consultation(subject="refusal"))])
    assert r.state is State.REFUSED and r.cooperation.consultations[0].subject == "refusal"


@pytest.mark.parametrize(
    ("command", "field", "rule"),
    [
        (consultation(subject="refusal"), "subject", "art11.consultation"),
        (consultation(subject="conditions"), "subject", "art11.consultation"),
        (consultation(subject="costs"), "subject", "art11.consultation"),
        (consultation(subject="weather"), "subject", "art11.consultation"),
        (consultation(bodies=["RUS-MVD"]), "bodies", "art11.consultation"),
        (consultation(bodies=["KAZ-MVD", "XXX"]), "bodies[1]", "art4.designated"),
        (consultation(persons=[]), "persons", "art11.consultation"),
        (consultation(held_on="2030-01-01"), "held_on", "art11.consultation"),
        (C(A.RECORD_CONSULTATION, details=consultation().details), "text", "art11.consultation"),
    ],
)
def test_art11_what_a_consultation_states(
    executing: Request, drive: Any, command: Command, field: str, rule: str
) -> None:
    v = denied(drive, executing, KAZ_OFFICER, command)
    assert (v.field, v.rule, v.article) == (field, rule, RULES[rule].article)


def test_art11_not_by_a_third_body_nor_on_a_draft(make_request: Any, drive: Any) -> None:
    draft = make_request()
    assert where(denied(drive, draft, KAZ_OFFICER, consultation()))[1] == "art11.consultation"
    executing = drive(draft, PATHS[State.IN_EXECUTION])
    assert denied(drive, executing, BLR_OFFICER, consultation()).rule == "lifecycle.role"


# --- Art. 12: costs ---------------------------------------------------------------------


def test_art12_each_party_bears_its_own_by_default(executing: Request) -> None:
    assert executing.cooperation.costs_in_force() is None


def test_art12_a_proposal_accepted_by_the_other_head(executing: Request, drive: Any) -> None:
    r = drive(executing, [(RUS_OFFICER, costs()), (KAZ_HEAD, costs_answer())])
    agreement = r.cooperation.costs_in_force()
    assert agreement is not None and agreement.side is Side.REQUESTED
    assert agreement.shares[0].amount == "1500.00" and agreement.answered_by == KAZ_HEAD
    assert [e.articles for e in drive.events[-2:]] == [("Art. 12",), ("Art. 12",)]
    assert drive.events[-1].notify is Side.REQUESTED


def test_art12_a_rejected_proposal_leaves_the_default(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, costs()), (RUS_HEAD, costs_answer("rejected"))])
    assert r.cooperation.costs_in_force() is None


def test_art12_the_proposer_does_not_answer_itself(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, costs())])
    assert where(denied(drive, r, KAZ_HEAD, costs_answer())) == ("actor", "art12.answer", "Art. 12")
    assert where(denied(drive, r, RUS_OFFICER, costs_answer())) == (
        "actor", "art12.answer", "Art. 12",
    )  # fmt: skip


def test_art12_a_new_agreement_needs_a_new_proposal(executing: Request, drive: Any) -> None:
    r = drive(executing, [(KAZ_OFFICER, costs()), (RUS_HEAD, costs_answer())])
    v = denied(drive, r, RUS_HEAD, costs_answer("rejected"))
    assert where(v) == ("proposal", "art12.answer", "Art. 12")
    other = {"borne_by": "requested", "what": "Expert examination"}
    r = drive(r, [(KAZ_OFFICER, costs(other))])
    assert r.cooperation.costs_in_force().number == 1
    v = denied(drive, r, KAZ_OFFICER, costs())
    assert where(v) == ("action", "art12.costs", "Art. 12")
    r = drive(r, [(RUS_HEAD, costs_answer(number=2))])
    assert r.cooperation.costs_in_force().number == 2


@pytest.mark.parametrize(
    ("share", "field", "rule"),
    [
        ({**SHARE, "currency": None}, "shares[0].amount", "art12.costs"),
        ({**SHARE, "amount": "1,500"}, "shares[0].amount", "input.type"),
        ({**SHARE, "currency": "usd"}, "shares[0].currency", "input.type"),
        ({**SHARE, "borne_by": "both"}, "shares[0].borne_by", "art12.costs"),
        ({"borne_by": "requesting"}, "shares[0]", "art12.costs"),
    ],
)
def test_art12_what_a_proposal_states(
    executing: Request, drive: Any, share: dict[str, Any], field: str, rule: str
) -> None:
    v = denied(drive, executing, KAZ_OFFICER, costs(share))
    assert (v.field, v.rule) == (field, rule)


# --- the table and its place in the lifecycle -------------------------------------------


def test_cooperation_never_moves_the_request_nor_shows_in_the_action_menu(
    executing: Request, drive: Any
) -> None:
    for action in COOPERATION_ACTIONS:
        assert ACTIONS[action].target is None
        assert RULES[ACTIONS[action].rule].article in ("Art. 8", "Art. 11", "Art. 12")
    for officer in drive.officers.values():
        offered = allowed_actions(executing, officer, drive.context, drive.now)
        assert not set(offered) & COOPERATION_ACTIONS


def test_the_stored_form_round_trips(executing: Request, drive: Any) -> None:
    assert stored(executing.cooperation) is None
    r = drive(executing, [(KAZ_OFFICER, proposal()),
                          (RUS_HEAD, answer(text="One only", agreed=["A. Ivanov"])),
                          (RUS_OFFICER, took_part("A. Ivanov")), (KAZ_OFFICER, consultation()),
                          (KAZ_OFFICER, costs()), (RUS_HEAD, costs_answer())])  # fmt: skip
    assert from_json(to_json(r.cooperation)) == r.cooperation
    assert isinstance(r.cooperation.participations[0].answered_at, datetime)
