"""The correlation graph of a case or a record (issue 8), drawn on the server as inline SVG.

``build_graph`` is a pure function from the subject and the links ``services.correlation.
links_for`` let the officer see (already decided under Art. 10) to a small model: the subject
in the centre, the persons and identifiers of the subject that are the evidence on an inner
ring, the matched records and requests on an outer ring; an edge from the centre to each
piece of evidence (labelled with the subject's field) and from the evidence to each subject
it matched (the other side's field and the score). ``render_svg`` lays it out the same way
every time (no script: the page's Content-Security-Policy allows none, and an officer must
be able to read it at a glance), with a ``<title>`` on every node and edge and a legend; the
list of matches beside it is the text a screen reader reads.

A match the officer may not read under the purpose (Art. 10 para 2) is drawn as one node,
"a match in a record of BODY", joined to the centre by a dashed line, linked to the consent
form where consent may be asked. It carries nothing else: ``links_for`` gives no title,
evidence or score for it, and the graph takes none even if one were there.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from urllib.parse import urlencode

from markupsafe import Markup

from ozara.core.correlation import MatchKind, Subject, SubjectType
from ozara.services.correlation import LinkView

#: At most this many nodes (the centre included) are drawn; the list names every match.
MAX_NODES = 30
#: Characters of a label drawn; the whole label is in the node's ``<title>``.
LABEL_CHARS = 26

Translate = Callable[[str], str]


class NodeKind(enum.StrEnum):
    CENTRE = "centre"
    PERSON = "person"
    IDENTIFIER = "identifier"
    RECORD = "record"
    REQUEST = "request"
    HIDDEN = "hidden"


@dataclass(frozen=True, slots=True)
class Node:
    """One node. A hidden match has only its ``body`` (to ask) and ``consent``: no label."""

    key: str
    kind: NodeKind
    label: str = ""
    body: str = ""
    href: str = ""
    consent: bool = False
    #: For a hidden match: whether it is a record or another body's request.
    of: SubjectType = SubjectType.RECORD
    #: For evidence: the subject's fields it was found in.
    fields: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    #: The field on the side the edge leads to (the subject's for centre → evidence).
    label: str = ""
    score: float | None = None
    #: Every piece of evidence the edge stands for, for its ``<title>``.
    detail: tuple[str, ...] = ()
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Graph:
    centre: Node
    evidence: tuple[Node, ...] = ()
    matches: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    #: Matches left out by the cap on nodes (the list beside the graph has them).
    more: int = 0
    cap: int = MAX_NODES

    @property
    def nodes(self) -> tuple[Node, ...]:
        return (self.centre, *self.evidence, *self.matches)


def _evidence_key(kind: MatchKind, value: str) -> tuple[str, NodeKind]:
    node_kind = NodeKind.PERSON if kind is MatchKind.PERSON else NodeKind.IDENTIFIER
    return f"{node_kind.value}:{value}", node_kind


def _href(other: Subject, purpose: str, case: str) -> str:
    if other.type is SubjectType.REQUEST:
        return f"/requests/{other.id}"
    query = {"purpose": purpose, **({"case": case} if case else {})}
    return f"/records/{other.id}?{urlencode(query)}"


@dataclass
class _Builder:
    cap: int
    evidence: dict[str, Node] = field(default_factory=dict)
    matches: list[Node] = field(default_factory=list)
    inner: dict[str, list[str]] = field(default_factory=dict)  # evidence key → subject fields
    outer: dict[tuple[str, str], list[tuple[str, float, str]]] = field(default_factory=dict)
    more: int = 0

    def room(self) -> int:
        return self.cap - 1 - len(self.evidence) - len(self.matches)


def build_graph(
    subject: Subject,
    title: str,
    links: Sequence[LinkView],
    *,
    purpose: str,
    case: str = "",
    cap: int = MAX_NODES,
) -> Graph:
    """The graph of ``subject`` (drawn as ``title``) and the ``links`` the officer may see.

    ``purpose`` (and ``case``) go into the links to the matched records, so that opening one
    states the purpose the graph was read under. Matches come in the order given (readable
    first, best score first, as ``links_for`` sorts them); one that does not fit within
    ``cap`` nodes with at least one piece of its evidence is counted in ``more``.
    """
    if cap < 3:
        raise ValueError("a graph needs room for the centre, one piece of evidence and a match")
    centre = Node(str(subject), NodeKind.CENTRE, title or subject.id)
    b = _Builder(cap)
    for link in links:
        other = Subject.parse(link.other)
        if not link.readable:
            # Art. 10 para 2: only that a match exists and the body to ask; nothing of the
            # link's kinds, evidence, score or title is taken, whatever the view holds.
            if b.room() < 1:
                b.more += 1
                continue
            href = ""
            if link.may_ask_consent and other.type is SubjectType.RECORD:
                href = f"/records/{other.id}/consent?{urlencode({'purpose': purpose})}"
            b.matches.append(Node(
                link.other, NodeKind.HIDDEN, body=link.ask_body, href=href,
                consent=link.may_ask_consent and other.type is SubjectType.RECORD, of=other.type,
            ))  # fmt: skip
            continue
        _add_readable(b, link, other, purpose, case)
    evidence = tuple(replace(n, fields=", ".join(b.inner[n.key])) for n in b.evidence.values())
    edges = [Edge(centre.key, key, ", ".join(fields)) for key, fields in b.inner.items()]
    for (key, target), items in b.outer.items():
        best = max(items, key=lambda item: item[1])
        edges.append(Edge(key, target, best[0], best[1], tuple(i[2] for i in items)))
    edges += [Edge(centre.key, m.key, hidden=True) for m in b.matches if m.kind is NodeKind.HIDDEN]
    return Graph(centre, evidence, tuple(b.matches), tuple(edges), b.more, cap)


def _add_readable(b: _Builder, link: LinkView, other: Subject, purpose: str, case: str) -> None:
    """A readable match with as much of its evidence as fits; none of it fits: not drawn."""
    new = [e for e in link.evidence if _evidence_key(e.kind, e.value_a)[0] not in b.evidence]
    fresh = list(dict.fromkeys(_evidence_key(e.kind, e.value_a)[0] for e in new))
    shared = len({_evidence_key(e.kind, e.value_a)[0] for e in link.evidence}) - len(fresh)
    fits = b.room() - 1  # the match itself takes one place
    if fits < 0 or (shared == 0 and fits < 1) or not link.evidence:
        b.more += 1
        return
    allowed = set(fresh[:fits])
    kind = NodeKind.REQUEST if other.type is SubjectType.REQUEST else NodeKind.RECORD
    b.matches.append(
        Node(link.other, kind, link.title or other.id, link.ask_body, _href(other, purpose, case))
    )
    for e in link.evidence:
        key, node_kind = _evidence_key(e.kind, e.value_a)
        if key not in b.evidence and key not in allowed:
            continue
        b.evidence.setdefault(key, Node(key, node_kind, e.value_a))
        fields = b.inner.setdefault(key, [])
        if e.field_a not in fields:
            fields.append(e.field_a)
        b.outer.setdefault((key, link.other), []).append(
            (e.field_b, e.score, f"{e.field_a} {e.value_a!r} ~ {e.field_b} {e.value_b!r} "
                                 f"({e.kind.value}, {e.score:.2f})")
        )  # fmt: skip


# -- drawing ------------------------------------------------------------------------------

WIDTH, HEIGHT = 940, 640
#: The strip along the bottom that holds the legend.
LEGEND = 50
CX, CY = 470, 290
#: The rings' radii; the outer ring leaves room for a label of ``LABEL_CHARS`` either side.
INNER, OUTER = 120, 235
COLOURS: dict[NodeKind, str] = {
    NodeKind.CENTRE: "#0b4f8a",
    NodeKind.PERSON: "#c2570c",
    NodeKind.IDENTIFIER: "#0f766e",
    NodeKind.RECORD: "#2e7d32",
    NodeKind.REQUEST: "#6a1b9a",
    NodeKind.HIDDEN: "#757575",
}
RADII = {NodeKind.CENTRE: 20, NodeKind.PERSON: 10, NodeKind.IDENTIFIER: 10}
#: Above this many evidence → match lines, their labels are left to their titles.
LABELLED_EDGES = 16
#: A white outline under each text, so that it stays legible where it crosses a line.
HALO = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"'


def layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """Where each node goes, the same every time: the centre in the middle, the matches
    evenly on the outer ring from the top clockwise, and each piece of evidence on the inner
    ring in the direction of the matches it leads to (the mean of their angles), kept apart
    from its neighbours, so that lines run outwards and seldom cross."""
    where = {graph.centre.key: (float(CX), float(CY))}
    top = -math.pi / 2
    # Matches that share their first piece of evidence sit side by side on the outer ring.
    first: dict[str, str] = {}
    for e in graph.edges:
        if e.score is not None:
            first.setdefault(e.target, e.source)
    groups = list(dict.fromkeys(first.values()))
    rank = {m.key: groups.index(first[m.key]) if m.key in first else len(groups)
            for m in graph.matches}  # fmt: skip
    matches = sorted(graph.matches, key=lambda m: rank[m.key])  # stable: links' order within
    outer = {m.key: top + 2 * math.pi * i / max(1, len(matches)) for i, m in enumerate(matches)}
    if len(graph.matches) == 2:  # left and right of the centre, not above and below
        outer = {k: a + math.pi / 2 for k, a in outer.items()}
    for key, angle in outer.items():
        where[key] = (CX + OUTER * math.cos(angle), CY + OUTER * math.sin(angle))
    pull: dict[str, list[float]] = {n.key: [0.0, 0.0] for n in graph.evidence}
    for e in graph.edges:
        if e.source in pull and e.target in outer:
            pull[e.source][0] += math.cos(outer[e.target])
            pull[e.source][1] += math.sin(outer[e.target])
    wanted = {key: (math.atan2(y, x) - top) % (2 * math.pi) + top for key, (x, y) in pull.items()}
    ring = sorted(wanted, key=lambda k: (wanted[k], k))
    gap = min(2 * math.pi / max(1, len(ring)), 0.5)
    angles: list[float] = []
    for key in ring:
        angles.append(wanted[key] if not angles else max(wanted[key], angles[-1] + gap))
    if angles and angles[-1] - angles[0] > 2 * math.pi - gap:  # too many to keep: spread
        angles = [angles[0] + 2 * math.pi * i / len(ring) for i in range(len(ring))]
    for key, angle in zip(ring, angles, strict=True):
        where[key] = (CX + INNER * math.cos(angle), CY + INNER * math.sin(angle))
    return where


def short(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def node_text(node: Node, _: Translate) -> tuple[str, str, str]:
    """The node's full text (its ``<title>``) and the two lines drawn by it, in the officer's
    language. A hidden match says only where the match is and whether to ask for consent."""
    if node.kind is NodeKind.HIDDEN:
        where = {"body": node.body}
        if node.of is SubjectType.REQUEST:
            first = _("A match in a request of %(body)s") % where
        else:
            first = _("A match in a record of %(body)s") % where
        second = _("ask for consent") if node.consent else ""
        return (f"{first} — {second}" if second else first), short(first, 34), second
    kinds = {
        NodeKind.CENTRE: "", NodeKind.PERSON: _("Person"), NodeKind.IDENTIFIER: _("Identifier"),
        NodeKind.RECORD: _("Record"), NodeKind.REQUEST: _("Request"),
    }  # fmt: skip
    head = kinds[node.kind]
    full = f"{head}: {node.label}" if head else node.label
    more = node.body or node.fields
    if more:
        full += f" ({more})"
    return full, short(node.label), short(more)


def render_svg(graph: Graph, _: Translate, title: str, described_by: str = "") -> Markup:
    """The graph as an inline ``<svg>`` element; ``described_by`` is the id of the text list."""
    where = layout(graph)
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="group" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-labelledby="graph-title"{described} font-family="sans-serif">',
        f'<title id="graph-title">{escape(title)}</title>',
    ]
    labelled = sum(1 for e in graph.edges if e.score is not None) <= LABELLED_EDGES
    out += [_edge(e, where, labelled) for e in graph.edges]
    out += [_node(n, where[n.key], _) for n in graph.nodes]
    out += _legend(_)
    out.append("</svg>")
    return Markup("".join(out))  # every text above is escaped


def _edge(edge: Edge, where: dict[str, tuple[float, float]], labelled: bool) -> str:
    (x1, y1), (x2, y2) = where[edge.source], where[edge.target]
    if edge.hidden:
        return (
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#9e9e9e" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
    label = edge.label + (f" {edge.score:.2f}" if edge.score is not None else "")
    tip = "; ".join(edge.detail) or label
    width = 1 + 2.5 * (edge.score if edge.score is not None else 0.4)
    line = (
        f"<g><title>{escape(tip)}</title>"
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#607d8b" '
        f'stroke-width="{width:.1f}"/>'
    )
    if edge.score is None or not labelled:
        # Centre → evidence: the evidence node names the field. Too many lines: the labels
        # would hide each other, and each line's <title> and the list say the same.
        return line + "</g>"
    mx, my = x1 + 0.55 * (x2 - x1), y1 + 0.55 * (y2 - y1)
    return line + (
        f'<text x="{mx:.1f}" y="{my + 3:.1f}" font-size="10" text-anchor="middle" '
        f'fill="#37474f"{HALO}>{escape(short(label, 22))}</text></g>'
    )


def _node(node: Node, at: tuple[float, float], _: Translate) -> str:
    x, y = at
    full, first, second = node_text(node, _)
    colour = COLOURS[node.kind]
    r = RADII.get(node.kind, 13)
    dx = x - CX
    # The label beside the node, away from the centre; above or below it near the axis.
    anchor = "middle" if abs(dx) < 40 else "start" if dx > 0 else "end"
    tx = x if anchor == "middle" else x + (r + 5 if dx > 0 else -r - 5)
    ty = y + 4 if anchor != "middle" else y + r + 13 if y > CY else y - r - 18
    if node.kind in (NodeKind.CENTRE, NodeKind.PERSON, NodeKind.IDENTIFIER):
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"/>'
    else:
        hidden = node.kind is NodeKind.HIDDEN
        dashes = ' stroke-dasharray="4 3"' if hidden else ""
        shape = (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" rx="3" '
            f'fill="{"#ffffff" if hidden else colour}" stroke="{colour}" stroke-width="2"'
            f"{dashes}/>"
        )
    weight = ' font-weight="bold"' if node.kind is NodeKind.CENTRE else ""
    lines = (
        f'<text x="{tx:.1f}" y="{ty:.1f}" font-size="12" text-anchor="{anchor}" fill="#212121"'
        f"{weight}{HALO}>{escape(first)}</text>"
    )
    if second:
        lines += (
            f'<text x="{tx:.1f}" y="{ty + 13:.1f}" font-size="10" text-anchor="{anchor}" '
            f'fill="#616161"{HALO}>{escape(second)}</text>'
        )
    body = f"<title>{escape(full)}</title>{shape}{lines}"
    if node.href:
        # A link named by its <title>: the picture is a group (not an image, whose links
        # assistive technology would never reach), described by the list beside it.
        return f'<a href="{escape(node.href)}">{body}</a>'
    return f"<g>{body}</g>"


def _legend(_: Translate) -> list[str]:
    """The colours, in rows along the bottom (the graph's own area stops above them)."""
    items = [
        (NodeKind.CENTRE, _("this case or record")), (NodeKind.PERSON, _("person")),
        (NodeKind.IDENTIFIER, _("identifier")), (NodeKind.RECORD, _("record")),
        (NodeKind.REQUEST, _("request")),
        (NodeKind.HIDDEN, _("match not open under this purpose")),
    ]  # fmt: skip
    out = ['<g aria-hidden="true">']
    x, y = 12, HEIGHT - LEGEND + 16
    for kind, text in items:
        width = 30 + int(6.5 * len(text))
        if x + width > WIDTH:
            x, y = 12, y + 20
        out.append(
            f'<rect x="{x}" y="{y - 6}" width="12" height="12" rx="2" fill="{COLOURS[kind]}"/>'
            f'<text x="{x + 17}" y="{y + 4}" font-size="11" fill="#212121">{escape(text)}</text>'
        )
        x += width
    out.append("</g>")
    return out
