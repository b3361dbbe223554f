"""The pure core of Art. 5 para 6: research projects' state machine and JSON form, and who
may read or change a document of the library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ozara.core.lifecycle import Context
from ozara.core.literature import Holding, may_change, may_read, parse_literature
from ozara.core.parties import Officer, Party, Role
from ozara.core.research import (
    Project,
    ResearchAction,
    ResearchCommand,
    ResearchState,
    transition,
)
from ozara.core.research_forms import load_project, parse_proposal, project_json
from ozara.core.rules import ProtocolError

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KAZ = Officer("kaz", "K", "KAZ-MVD", frozenset({Role.OFFICER}))
RUS = Officer("rus", "R", "RUS-MVD", frozenset({Role.OFFICER}))
NOBODY = Officer("sec", "S", None, frozenset({Role.SECRETARIAT}))


def test_the_json_form_round_trips() -> None:
    proposal = parse_proposal({
        "title": "T", "topic": "X", "goals": "G", "period_from": "2026-01-01",
        "period_to": "2026-12-31", "invited": ["RUS-MVD", "RUS-MVD"], "researchers": ["A"],
    })  # fmt: skip
    assert proposal.invited == ("RUS-MVD",)
    project = Project("p1", "KAZ-MVD", proposal, NOW, "kaz")
    assert load_project(project_json(project)) == project


def test_an_unknown_field_and_a_bad_date_are_named() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_proposal({"title": "T", "topic": "X", "goals": "G", "period_from": "soon",
                        "period_to": "2026-12-31", "invited": [], "budget": 1})  # fmt: skip
    assert sorted((v.field, v.rule) for v in exc.value.violations) == [
        ("budget", "input.unknown_field"), ("invited", "art5.research_required"),
        ("period_from", "input.type"),
    ]  # fmt: skip


def holding(withdrawn: datetime | None = None) -> Holding:
    return Holding("d1", "KAZ-MVD", Party.KAZAKHSTAN, frozenset({Party.RUSSIA}), withdrawn)


def test_who_may_read_a_document_of_the_library() -> None:
    assert may_read(RUS, Party.RUSSIA, holding(), NOW).allowed
    assert may_read(KAZ, Party.KAZAKHSTAN, holding(NOW), NOW).allowed  # own Party
    assert may_read(RUS, Party.RUSSIA, holding(NOW), NOW).violations[0].rule == (
        "art5.literature_withdrawn"
    )
    assert may_read(RUS, Party.RUSSIA, holding(NOW + timedelta(days=1)), NOW).allowed
    assert may_read(RUS, Party.BELARUS, holding(), NOW).violations[0].rule == (
        "art5.literature_not_shared"
    )
    assert not may_read(NOBODY, None, holding(), NOW).allowed
    assert may_change(KAZ, holding(), NOW).allowed
    assert may_change(RUS, holding(), NOW).violations[0].rule == "art5.literature_owner"
    assert may_change(KAZ, holding(NOW), NOW).violations[0].rule == "art5.literature_withdrawn"


def test_trade_secret_in_running_text_is_not_a_stamp() -> None:
    meta = parse_literature({
        "title": "Protecting a trade secret online", "authors": ["A"], "language": "en",
        "year": 2026, "kind": "article", "abstract": "On the law of state secrets.",
    }, this_year=2026)  # fmt: skip
    assert meta.keywords == () and meta.kind.value == "article"


def test_a_terminal_project_changes_no_more(context: Context) -> None:
    proposal = parse_proposal({"title": "T", "topic": "X", "goals": "G",
                               "period_from": "2026-01-01", "period_to": "2026-12-31",
                               "invited": ["RUS-MVD"]})  # fmt: skip
    done = Project("p1", "KAZ-MVD", proposal, NOW, "kaz", state=ResearchState.CANCELLED)
    with pytest.raises(ProtocolError) as exc:
        transition(done, ResearchCommand(ResearchAction.POST_RESULT, text="x", item_id="r"), KAZ,
                   context, NOW)  # fmt: skip
    assert [v.rule for v in exc.value.violations] == ["art5.research_state"]
