"""The correlation graph (issue 8) as a pure function of the links an officer may see, and
its SVG: what is drawn, what a hidden match reveals (nothing but its body, Art. 10), the cap
on nodes, a layout that is the same every time."""

from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree

import pytest

from ozara.core.correlation import Evidence, MatchKind, Subject, SubjectType
from ozara.core.records import Purpose
from ozara.core.requests import AssistanceItem, AssistanceKind, parse_request
from ozara.services.correlation import LinkView
from ozara.web.correlation_graph import (
    HEIGHT,
    LEGEND,
    WIDTH,
    NodeKind,
    build_graph,
    layout,
    render_svg,
)
from ozara.web.correlation_pages import case_purpose, match
from tests.services.test_request_services import document as request_document

CASE = Subject(SubjectType.REQUEST, "KAZ-MVD-2026-00001")
SVG = "{http://www.w3.org/2000/svg}"


def evidence(value: str, theirs: str = "", kind: MatchKind = MatchKind.IDENTIFIER,
             score: float = 1.0, field_b: str = "identifiers") -> Evidence:  # fmt: skip
    return Evidence(kind, "substance", value, field_b, theirs or value, score)


def readable(other: str, title: str, *found: Evidence, body: str = "RUS-MVD") -> LinkView:
    return LinkView(
        other, True, body, kinds=tuple(sorted({e.kind.value for e in found})),
        score=max(e.score for e in found), evidence=found, title=title,
    )  # fmt: skip


def english(text: str) -> str:
    return text


def draw(links: list[LinkView], cap: int = 30) -> str:
    graph = build_graph(CASE, CASE.id, links, purpose="detection", case=CASE.id, cap=cap)
    return str(render_svg(graph, english, "Correlation graph", "matches-list"))


def test_request_record_person_and_identifier_are_nodes_joined_by_labelled_edges() -> None:
    name = evidence("Кайрат Ахметов", "Kairat Akhmetov", MatchKind.PERSON, 0.93,
                    "persons[0].names")  # fmt: skip
    mail = evidence("drop@evil.example.ru")
    links = [
        readable("record:r1", "Phishing organiser", name, mail),
        readable("request:RUS-MVD-2026-00004", "RUS-MVD-2026-00004", mail, body="RUS-MVD"),
    ]
    graph = build_graph(CASE, CASE.id, links, purpose="detection", case=CASE.id)
    assert graph.centre.kind is NodeKind.CENTRE and graph.centre.label == CASE.id
    assert [(n.kind, n.label) for n in graph.evidence] == [
        (NodeKind.PERSON, "Кайрат Ахметов"), (NodeKind.IDENTIFIER, "drop@evil.example.ru"),
    ]  # fmt: skip
    assert [(n.kind, n.label, n.body) for n in graph.matches] == [
        (NodeKind.RECORD, "Phishing organiser", "RUS-MVD"),
        (NodeKind.REQUEST, "RUS-MVD-2026-00004", "RUS-MVD"),
    ]
    # The record opens under the purpose and the case the graph was read for.
    assert graph.matches[0].href == "/records/r1?purpose=detection&case=KAZ-MVD-2026-00001"
    edges = {(e.source, e.target): e for e in graph.edges}
    person, mail_node = "person:Кайрат Ахметов", "identifier:drop@evil.example.ru"
    assert edges[(str(CASE), person)].label == "substance"
    assert (edges[(person, "record:r1")].label, edges[(person, "record:r1")].score) == (
        "persons[0].names", 0.93,
    )  # fmt: skip
    # One identifier shared by two matches is one node with an edge to each.
    assert {t for s, t in edges if s == mail_node} == {"record:r1", "request:RUS-MVD-2026-00004"}
    assert len(graph.edges) == 5 and graph.more == 0
    svg = draw(links)
    root = ElementTree.fromstring(svg)  # well-formed XML
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert titles[0] == "Correlation graph"
    assert "Record: Phishing organiser (RUS-MVD)" in titles
    assert any("'Кайрат Ахметов' ~ persons[0].names 'Kairat Akhmetov'" in t for t in titles)
    assert root.get("aria-describedby") == "matches-list" and root.get("role") == "group"
    assert "persons[0].names 0.93" in svg and "<script" not in svg
    # Every link in the picture is named by its <title> (read by assistive technology).
    anchors = list(root.iter(f"{SVG}a"))
    assert len(anchors) == 2 and all(a[0].tag == f"{SVG}title" and a[0].text for a in anchors)


def test_a_hidden_match_shows_only_that_it_exists_and_the_body_to_ask() -> None:
    secret = LinkView("record:hidden-1", False, "RUS-FSB", may_ask_consent=True)
    open_one = readable("record:r1", "Open record", evidence("+77011234567"))
    graph = build_graph(CASE, CASE.id, [open_one, secret], purpose="detection")
    hidden = graph.matches[1]
    assert (hidden.kind, hidden.label, hidden.body, hidden.consent) == (
        NodeKind.HIDDEN, "", "RUS-FSB", True,
    )  # fmt: skip
    assert hidden.href == "/records/hidden-1/consent?purpose=detection"
    assert [e for e in graph.edges if e.target == hidden.key and (e.label or e.detail)] == []
    svg = draw([open_one, secret])
    assert "A match in a record of RUS-FSB" in svg and "ask for consent" in svg
    # A request of another body of one's own Party: the body, and no consent to ask.
    theirs = LinkView("request:KAZ-KNB-2026-00002", False, "KAZ-KNB")
    svg = draw([theirs])
    assert "A match in a request of KAZ-KNB" in svg and "consent" not in svg
    assert "KAZ-KNB-2026-00002" not in svg


def test_a_hidden_view_carrying_content_by_mistake_still_draws_none_of_it() -> None:
    """Defence in depth: ``links_for`` gives nothing for a hidden match; were a view to carry
    the record's title, evidence or score, the graph must not draw them either."""
    leaky = LinkView(
        "record:hidden-2", False, "RUS-MVD", True, kinds=("identifier",), score=1.0,
        evidence=(evidence("secret.drop@mail.example"),), title="Secret training file",
    )  # fmt: skip
    graph = build_graph(CASE, CASE.id, [leaky], purpose="investigation")
    assert graph.evidence == () and len(graph.edges) == 1 and graph.edges[0].hidden
    svg = draw([leaky])
    for secret in ("Secret training file", "secret.drop", "1.00", "identifiers"):
        assert secret not in svg
    assert match(leaky, "investigation") == {
        "readable": False, "ask_body": "RUS-MVD", "kind": "record",
        "consent": "/records/hidden-2/consent?purpose=investigation",
    }  # fmt: skip


def test_the_graph_is_capped_and_says_how_many_matches_are_left_out() -> None:
    links = [readable(f"record:r{n:02}", f"Record {n}", evidence(f"user{n}@example.kz"))
             for n in range(20)]  # fmt: skip
    links.append(LinkView("record:hidden", False, "ARM-POLICE", may_ask_consent=True))
    graph = build_graph(CASE, CASE.id, links, purpose="detection", cap=30)
    # The centre, then each match with its one identifier: 14 pairs fill 29 of 30 places;
    # the hidden match (one node, no evidence) takes the last.
    assert len(graph.nodes) == 30 and graph.more == 6
    assert graph.matches[-1].kind is NodeKind.HIDDEN
    assert [m.label for m in graph.matches[:2]] == ["Record 0", "Record 1"]
    small = build_graph(CASE, CASE.id, links, purpose="detection", cap=5)
    assert len(small.nodes) == 5 and small.more == 21 - 2
    # Shared evidence takes no new place: a second match on one identifier still fits.
    same = [readable(f"record:s{n}", f"S{n}", evidence("one@example.kz")) for n in range(5)]
    assert build_graph(CASE, CASE.id, same, purpose="detection", cap=4).more == 3
    with pytest.raises(ValueError, match="room"):
        build_graph(CASE, CASE.id, links, purpose="detection", cap=2)


def test_the_layout_is_the_same_every_time_and_stays_inside_the_picture() -> None:
    title = "A title far longer than a label has room for, and then some more words"
    links = [readable(f"record:r{n}", title, evidence(f"host{n}.example.kz")) for n in range(12)]
    graph = build_graph(CASE, CASE.id, links, purpose="detection")
    assert draw(links) == draw(links)
    where = layout(graph)
    assert where[graph.centre.key] == (WIDTH / 2, where[graph.centre.key][1])
    for x, y in where.values():
        assert 0 < x < WIDTH and 0 < y < HEIGHT - LEGEND
    svg = draw(links)
    assert "A title far longer than a…" in svg  # drawn short; whole in its <title>
    assert svg.count(f"Record: {title} (RUS-MVD)") == 12


def test_the_purpose_of_a_case_follows_the_assistance_it_asks_for() -> None:
    content = parse_request(request_document())
    measures = AssistanceItem(AssistanceKind.OPERATIONAL_SEARCH_MEASURE, "Identify")
    action = AssistanceItem(AssistanceKind.PROCEDURAL_ACTION, "Question a witness")
    assert case_purpose(replace(content, assistance_items=(measures,))) is Purpose.DETECTION
    both = replace(content, assistance_items=(measures, action))
    assert case_purpose(both) is Purpose.INVESTIGATION
