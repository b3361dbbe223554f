"""Training events (Art. 5 para 4) in the pure core: the announcement, nominations within
each Party's places, the host's decisions, closing, holding, cancelling, and every denial
with its rule and article."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from ozara import seed
from ozara.core.lifecycle import Context
from ozara.core.parties import Party, Registry
from ozara.core.rules import RULES, ProtocolError
from ozara.core.training import (
    ACTIONS,
    EventState,
    NominationState,
    Nominee,
    TrainingAction,
    TrainingCommand,
    TrainingEvent,
    allowed_actions,
    announce,
    check,
    places_left,
    transition,
)
from ozara.core.training_forms import load_event, parse_announcement, parse_nominee
from ozara.core.treaty import NotificationKind, TreatyNotification, TreatyStatus
from tests.core.conftest import T0, all_officers

OFFICERS = all_officers()
CTX = Context(Registry.of(seed.BODIES), TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS))
A = TrainingAction
PERSON = Nominee("Ivanov Ivan", "senior detective", "ivanov@example.ru")


def event_document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "seminar",
        "title": "Investigating phishing with cryptocurrency cash-out",
        "topic": "Tracing wallets, preserving evidence, requests under Art. 6",
        "date_from": "2025-03-10",
        "date_to": "2025-03-12",
        "venues": ["Almaty, Academy of the MVD"],
        "language": "ru",
        "nomination_deadline": "2025-02-20",
        "places": {"RUS": 2, "BLR": 1, "KGZ": 1},
    }
    doc.update(overrides)
    return doc


def rules(exc: pytest.ExceptionInfo[ProtocolError]) -> list[str]:
    return [v.rule for v in exc.value.violations]


def announced(who: str = "kaz-mvd.head", **overrides: Any) -> TrainingEvent:
    a = parse_announcement(event_document(**overrides))
    return announce("EV-1", a, "KAZ-MVD", OFFICERS[who], CTX, T0).event


def act(
    ev: TrainingEvent, who: str, action: TrainingAction, at: Any = T0, **kw: Any
) -> TrainingEvent:
    return transition(ev, TrainingCommand(action, **kw), OFFICERS[who], CTX, at).event


def nominate(ev: TrainingEvent, who: str = "rus-mvd.officer", item: str = "N1") -> TrainingEvent:
    return act(ev, who, A.NOMINATE, nominee=PERSON, item_id=item)


def denied(ev: TrainingEvent, who: str, action: TrainingAction, at: Any = T0, **kw: Any) -> str:
    assert not check(ev, TrainingCommand(action, **kw), OFFICERS[who], CTX, at).allowed
    with pytest.raises(ProtocolError) as exc:
        act(ev, who, action, at, **kw)
    [rule] = rules(exc)
    return rule


# -- the announcement ----------------------------------------------------------------------


def test_every_fault_of_an_announcement_at_once() -> None:
    bad = event_document(
        kind="webinar", title=" ", date_to="2025-03-01", nomination_deadline="2025-03-11",
        venues=[], places={"RUS": 0, "XXX": 1}, extra=1,
    )  # fmt: skip
    with pytest.raises(ProtocolError) as exc:
        parse_announcement(bad)
    found = {(v.field, v.rule) for v in exc.value.violations}
    assert found == {
        ("extra", "input.unknown_field"), ("kind", "art5.training_kind"),
        ("title", "art5.training_required"), ("date_to", "art5.training_dates"),
        ("nomination_deadline", "art5.training_dates"), ("venues", "art5.training_required"),
        ("places.RUS", "input.type"), ("places.XXX", "art5.training_parties"),
    }  # fmt: skip
    assert all(v.article in {"Art. 5 para 4", "—"} for v in exc.value.violations)


@pytest.mark.parametrize("kind", ["internship", "conference", "seminar", "course", "training"])
def test_the_five_kinds_of_art_5_para_4(kind: str) -> None:
    assert announced(kind=kind).announcement.kind.value == kind


def test_the_host_head_announces_and_the_json_form_round_trips() -> None:
    ev = announced()
    assert (ev.state, ev.host_party, ev.version) == (EventState.ANNOUNCED, Party.KAZAKHSTAN, 1)
    assert ev.announcement.places_for(Party.RUSSIA) == 2
    assert ev.announcement.places_for(Party.KAZAKHSTAN) is None
    ev = act(nominate(ev), "kaz-mvd.officer", A.CONFIRM, nomination_id="N1")
    assert load_event(ev.to_dict()) == ev


def test_who_may_announce() -> None:
    a = parse_announcement(event_document())
    with pytest.raises(ProtocolError) as exc:  # staff of the host, not its head
        announce("E", a, "KAZ-MVD", OFFICERS["kaz-mvd.officer"], CTX, T0)
    assert rules(exc) == ["lifecycle.role"]
    with pytest.raises(ProtocolError) as exc:  # another body's head for the host
        announce("E", a, "KAZ-MVD", OFFICERS["rus-mvd.head"], CTX, T0)
    assert rules(exc) == ["art5.training_host"]
    assert RULES["art5.training_host"].article == "Art. 5 para 4"


def test_an_announcement_checks_parties_treaty_and_deadline() -> None:
    with pytest.raises(ProtocolError) as exc:
        announced(places={"KAZ": 5})  # only its own Party
    assert rules(exc) == ["art5.training_parties"]
    with pytest.raises(ProtocolError) as exc:
        announced(nomination_deadline="2025-01-14")  # already past on T0
    assert rules(exc) == ["art5.training_deadline"]
    # Tajikistan is not bound yet on this day (Art. 16): no places for it.
    late = TreatyStatus.from_notifications(
        [n for n in seed.TREATY_NOTIFICATIONS if n.party is not Party.TAJIKISTAN]
        + [TreatyNotification(Party.TAJIKISTAN, NotificationKind.RATIFICATION, T0.date()
                              + timedelta(days=30))]
    )  # fmt: skip
    a = parse_announcement(event_document(places={"RUS": 1, "TJK": 1}))
    with pytest.raises(ProtocolError) as exc:
        announce("E", a, "KAZ-MVD", OFFICERS["kaz-mvd.head"], replace(CTX, treaty=late), T0)
    assert [(v.field, v.rule) for v in exc.value.violations] == [("places.TJK", "art16.in_force")]


def test_an_undesignated_host_does_not_announce() -> None:
    kaz = CTX.registry.get("KAZ-MVD")
    assert kaz is not None
    gone = Registry.of([replace(kaz, designated_until=T0 - timedelta(days=1)),
                        *[b for b in seed.BODIES if b.id != "KAZ-MVD"]])  # fmt: skip
    a = parse_announcement(event_document())
    with pytest.raises(ProtocolError) as exc:
        announce("E", a, "KAZ-MVD", OFFICERS["kaz-mvd.head"], replace(CTX, registry=gone), T0)
    assert rules(exc) == ["art4.designated"]


# -- nominations ---------------------------------------------------------------------------


def test_nominations_within_places_and_the_hosts_decisions() -> None:
    ev = nominate(nominate(announced()), "rus-fsb.officer", "N2")  # both Russian bodies
    assert [n.party for n in ev.nominations] == [Party.RUSSIA, Party.RUSSIA]
    assert places_left(ev)[Party.RUSSIA] == 0
    assert denied(ev, "rus-mvd.officer", A.NOMINATE, nominee=PERSON, item_id="N3") == (
        "art5.training_quota"
    )
    # A withdrawn or declined nomination frees its place; a confirmed one keeps it.
    ev = act(ev, "rus-fsb.officer", A.WITHDRAW, nomination_id="N2")
    ev = act(ev, "kaz-mvd.officer", A.CONFIRM, nomination_id="N1")
    ev = nominate(ev, "rus-mvd.officer", "N3")
    ev = act(ev, "kaz-mvd.officer", A.DECLINE, nomination_id="N3", text="Not an investigator")
    assert [(n.id, n.state) for n in ev.nominations] == [
        ("N1", NominationState.CONFIRMED), ("N2", NominationState.WITHDRAWN),
        ("N3", NominationState.DECLINED),
    ]  # fmt: skip
    assert ev.nominations[2].reason == "Not an investigator"
    assert ev.nominations[0].decided_by == "kaz-mvd.officer"
    assert places_left(ev)[Party.RUSSIA] == 1 and ev.version == 7


def test_a_body_of_a_party_not_invited_does_not_nominate() -> None:
    ev = announced()
    assert denied(ev, "arm-police.officer", A.NOMINATE, nominee=PERSON, item_id="N") == (
        "art5.training_invited"
    )


def test_the_hosts_own_party_nominates_only_into_places_it_gave_itself() -> None:
    ev = announced()
    assert denied(ev, "kaz-mvd.officer", A.NOMINATE, nominee=PERSON, item_id="N") == (
        "art5.training_own_party"
    )
    ev = announced(places={"RUS": 1, "KAZ": 1})
    ev = nominate(ev, "kaz-mvd.officer")
    assert ev.nominations[0].party is Party.KAZAKHSTAN


def test_nominations_end_at_the_deadline_and_when_closed() -> None:
    ev = announced()
    after = T0.replace(month=2, day=21)  # the deadline was 2025-02-20
    assert denied(ev, "rus-mvd.officer", A.NOMINATE, after, nominee=PERSON, item_id="N") == (
        "art5.training_deadline"
    )
    on_deadline = T0.replace(month=2, day=20, hour=23)
    assert nominate_at(ev, on_deadline).nominations
    closed = act(nominate(ev), "kaz-mvd.officer", A.CLOSE)
    assert closed.state is EventState.CLOSED
    assert denied(closed, "blr-mvd.officer", A.NOMINATE, nominee=PERSON, item_id="N") == (
        "art5.training_state"
    )
    # The host still decides the pending ones after closing.
    assert act(closed, "kaz-mvd.officer", A.CONFIRM, nomination_id="N1").nominations[0].state is (
        NominationState.CONFIRMED
    )


def nominate_at(ev: TrainingEvent, at: Any) -> TrainingEvent:
    return act(ev, "rus-mvd.officer", A.NOMINATE, at, nominee=PERSON, item_id="N9")


def test_a_nomination_needs_a_name_a_post_and_a_contact() -> None:
    ev = announced()
    blank = Nominee("Ivanov", "", "x")
    assert denied(ev, "rus-mvd.officer", A.NOMINATE, nominee=blank, item_id="N") == (
        "art5.training_required"
    )
    no_contact = Nominee("Ivanov", "detective", " ")
    assert denied(ev, "rus-mvd.officer", A.NOMINATE, nominee=no_contact, item_id="N") == (
        "art5.training_required"
    )
    with pytest.raises(ProtocolError) as exc:
        parse_nominee({"name": "Ivanov", "rank": "major"})
    assert sorted(rules(exc)) == [
        "art5.training_required", "art5.training_required", "input.unknown_field",
    ]  # fmt: skip


def test_the_host_decides_only_pending_nominations_and_only_the_host() -> None:
    ev = nominate(announced())
    assert denied(ev, "rus-mvd.officer", A.CONFIRM, nomination_id="N1") == "art5.training_host"
    assert denied(ev, "kaz-mvd.officer", A.CONFIRM, nomination_id="NX") == (
        "art5.training_nomination"
    )
    ev = act(ev, "kaz-mvd.officer", A.CONFIRM, nomination_id="N1")
    assert denied(ev, "kaz-mvd.officer", A.DECLINE, nomination_id="N1") == (
        "art5.training_nomination"
    )
    # Withdrawn only before confirmation, and only by the body that nominated.
    assert denied(ev, "rus-mvd.officer", A.WITHDRAW, nomination_id="N1") == (
        "art5.training_nomination"
    )
    ev = nominate(ev, "rus-fsb.officer", "N2")
    assert denied(ev, "rus-mvd.officer", A.WITHDRAW, nomination_id="N2") == (
        "art5.training_nomination"
    )


def test_roles_head_or_deputy_cancel_staff_run_the_rest() -> None:
    ev = announced()
    assert denied(ev, "kaz-mvd.officer", A.CANCEL, text="Budget") == "lifecycle.role"
    assert denied(ev, "kaz-mvd.head", A.CANCEL) == "art5.training_required"
    assert denied(ev, "rus-mvd.head", A.CANCEL, text="x") == "art5.training_host"
    liaison = OFFICERS["kaz-mvd.liaison"]  # staff: closes nominations
    assert check(ev, TrainingCommand(A.CLOSE), liaison, CTX, T0).allowed
    cancelled = act(ev, "kaz-mvd.head", A.CANCEL, text="Budget cut")
    assert (cancelled.state, cancelled.closing_text) == (EventState.CANCELLED, "Budget cut")
    for action, kw in ((A.NOMINATE, {"nominee": PERSON, "item_id": "N"}), (A.CLOSE, {}),
                       (A.HOLD, {})):  # fmt: skip
        who = "rus-mvd.officer" if action is A.NOMINATE else "kaz-mvd.officer"
        assert denied(cancelled, who, action, **kw) == "art5.training_state"


def test_an_event_is_held_only_once_it_began_and_then_does_not_change() -> None:
    ev = act(nominate(announced()), "kaz-mvd.officer", A.CLOSE)
    assert denied(ev, "kaz-mvd.officer", A.HOLD) == "art5.training_dates"
    begun = T0.replace(month=3, day=10)
    held = act(ev, "kaz-mvd.officer", A.HOLD, begun, text="24 participants, 5 Parties")
    assert held.state is EventState.HELD
    assert denied(held, "kaz-mvd.officer", A.CONFIRM, begun, nomination_id="N1") == (
        "art5.training_state"
    )
    assert denied(held, "kaz-mvd.head", A.CANCEL, begun, text="x") == "art5.training_state"


def test_an_undesignated_or_unbound_nominating_body_is_refused() -> None:
    ev = announced()
    rus = CTX.registry.get("RUS-MVD")
    assert rus is not None
    gone = Registry.of([replace(rus, designated_until=T0 - timedelta(days=1)),
                        *[b for b in seed.BODIES if b.id != "RUS-MVD"]])  # fmt: skip
    command = TrainingCommand(A.NOMINATE, nominee=PERSON, item_id="N")
    decision = check(ev, command, OFFICERS["rus-mvd.officer"], replace(CTX, registry=gone), T0)
    assert [v.rule for v in decision.violations] == ["art4.designated"]
    # Russia withdrew from the Protocol before the nomination (Art. 16, 18).
    out = TreatyStatus.from_notifications([
        *seed.TREATY_NOTIFICATIONS,
        TreatyNotification(Party.RUSSIA, NotificationKind.WITHDRAWAL, date_of(T0, -200),
                           date_of(T0, -1)),
    ])  # fmt: skip
    decision = check(ev, command, OFFICERS["rus-mvd.officer"], replace(CTX, treaty=out), T0)
    assert [v.rule for v in decision.violations] == ["art16.in_force"]


def date_of(at: Any, days: int) -> Any:
    return (at + timedelta(days=days)).date()


def test_allowed_actions_follow_the_table() -> None:
    ev = nominate(announced())
    assert allowed_actions(ev, OFFICERS["kaz-mvd.head"], CTX, T0) == [
        A.CONFIRM, A.DECLINE, A.CLOSE, A.CANCEL,
    ]  # fmt: skip
    assert allowed_actions(ev, OFFICERS["rus-mvd.officer"], CTX, T0) == [A.NOMINATE, A.WITHDRAW]
    assert allowed_actions(ev, OFFICERS["arm-police.officer"], CTX, T0) == []
    assert all(RULES[s.rule].article == "Art. 5 para 4" for s in ACTIONS.values())
