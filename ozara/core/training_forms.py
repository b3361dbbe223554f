"""The JSON forms of a training event (Art. 5 para 4): the announcement as a host body
writes it and a nominee as an invited body names them (``parse_announcement``,
``parse_nominee``: every fault at once, as for operations), and the whole event as nodes
store it and compare it (``event_json``, ``load_event``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ozara.core.parties import Party
from ozara.core.requests import unknown_keys
from ozara.core.rules import ProtocolError, Violation, violation
from ozara.core.training import (
    MAX_NAME,
    MAX_PLACES,
    MAX_TEXT,
    MAX_VENUES,
    Announcement,
    EventKind,
    EventState,
    Nomination,
    NominationState,
    Nominee,
    TrainingEvent,
)

__all__ = ["event_json", "load_event", "parse_announcement", "parse_nominee"]

_REQUIRED = "art5.training_required"
_KEYS = frozenset({
    "kind", "title", "topic", "date_from", "date_to", "venues", "language",
    "nomination_deadline", "places",
})  # fmt: skip


def parse_announcement(data: object) -> Announcement:
    """The announcement from its JSON form, or ``ProtocolError`` listing every fault."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "an event is a JSON object")])
    problems: list[Violation] = []
    unknown_keys(data, _KEYS, "", problems)
    kind = None
    raw_kind = data.get("kind")
    try:
        kind = EventKind(str(raw_kind).strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in EventKind)
        problems.append(violation("kind", "art5.training_kind", f"got {raw_kind!r}; {known}"))
    title = _text(data, "title", MAX_NAME, problems)
    topic = _text(data, "topic", MAX_TEXT, problems)
    language = _text(data, "language", 32, problems)
    start, end = _date(data, "date_from", problems), _date(data, "date_to", problems)
    deadline = _date(data, "nomination_deadline", problems)
    if start and end and end < start:
        detail = f"it ends on {end.isoformat()}, before it begins on {start.isoformat()}"
        problems.append(violation("date_to", "art5.training_dates", detail))
    if start and deadline and deadline > start:
        detail = f"nominations close on {deadline.isoformat()}, after it begins"
        problems.append(violation("nomination_deadline", "art5.training_dates", detail))
    venues = _venues(data, problems)
    places = _places(data, problems)
    if problems:
        raise ProtocolError(problems)
    assert kind is not None and start and end and deadline
    return Announcement(kind, title, topic, start, end, venues, language, deadline, places)


def parse_nominee(data: object) -> Nominee:
    """A nominee (name, post, contact) from its JSON form, every fault at once."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "a nominee is a JSON object")])
    problems: list[Violation] = []
    unknown_keys(data, frozenset({"name", "post", "contact"}), "", problems)
    nominee = Nominee(
        _text(data, "name", MAX_NAME, problems),
        _text(data, "post", MAX_NAME, problems),
        _text(data, "contact", MAX_NAME, problems),
    )
    if problems:
        raise ProtocolError(problems)
    return nominee


def _text(data: Mapping[str, Any], key: str, limit: int, problems: list[Violation]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(violation(key, _REQUIRED))
        return ""
    if len(value) > limit:
        problems.append(violation(key, "input.type", f"at most {limit} characters"))
    return value.strip()


def _date(data: Mapping[str, Any], key: str, problems: list[Violation]) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        problems.append(violation(key, _REQUIRED))
        return None
    try:
        return date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        pass
    problems.append(violation(key, "input.type", "a date as YYYY-MM-DD"))
    return None


def _venues(data: Mapping[str, Any], problems: list[Violation]) -> tuple[str, ...]:
    value = data.get("venues")
    if not isinstance(value, list) or not value:
        problems.append(violation("venues", _REQUIRED, "at least one place"))
        return ()
    if len(value) > MAX_VENUES:
        problems.append(violation("venues", "input.type", f"at most {MAX_VENUES}"))
        return ()
    out: list[str] = []
    for i, raw in enumerate(value):
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_NAME:
            problems.append(violation(f"venues[{i}]", "input.type", "a place, as text"))
        elif raw.strip() not in out:
            out.append(raw.strip())
    return tuple(out)


def _places(data: Mapping[str, Any], problems: list[Violation]) -> tuple[tuple[Party, int], ...]:
    value = data.get("places")
    if not isinstance(value, Mapping) or not value:
        detail = 'the places for each invited Party, e.g. {"RUS": 3}'
        problems.append(violation("places", _REQUIRED, detail))
        return ()
    out: list[tuple[Party, int]] = []
    for code, count in value.items():
        try:
            party = Party(str(code).strip().upper())
        except ValueError:
            known = ", ".join(p.value for p in Party)
            problems.append(violation(f"places.{code}", "art5.training_parties", known))
            continue
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PLACES:
            detail = f"a whole number of places from 1 to {MAX_PLACES}"
            problems.append(violation(f"places.{code}", "input.type", detail))
            continue
        out.append((party, count))
    return tuple(sorted(out))


# -- the JSON form (stored, and carried between nodes) -----------------------------------


def announcement_json(a: Announcement) -> dict[str, Any]:
    return {
        "kind": a.kind.value, "title": a.title, "topic": a.topic,
        "date_from": a.date_from.isoformat(), "date_to": a.date_to.isoformat(),
        "venues": list(a.venues), "language": a.language,
        "nomination_deadline": a.nomination_deadline.isoformat(),
        "places": {p.value: n for p, n in a.places},
    }  # fmt: skip


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def event_json(e: TrainingEvent) -> dict[str, Any]:
    return {
        "id": e.id, "host_body": e.host_body, "host_party": e.host_party.value,
        "announcement": announcement_json(e.announcement),
        "created_at": e.created_at.isoformat(), "created_by": e.created_by,
        "state": e.state.value, "version": e.version, "closing_text": e.closing_text,
        "nominations": [
            {"id": n.id, "body_id": n.body_id, "party": n.party.value,
             "nominee": {"name": n.nominee.name, "post": n.nominee.post,
                         "contact": n.nominee.contact},
             "at": n.at.isoformat(), "by": n.by, "state": n.state.value,
             "decided_at": _t(n.decided_at), "decided_by": n.decided_by, "reason": n.reason}
            for n in e.nominations
        ],
    }  # fmt: skip


def _odt(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def load_event(data: Mapping[str, Any]) -> TrainingEvent:
    """An event back from its stored JSON form (written by ``to_dict``)."""
    a = data["announcement"]
    announcement = Announcement(
        EventKind(a["kind"]), a["title"], a["topic"], date.fromisoformat(a["date_from"]),
        date.fromisoformat(a["date_to"]), tuple(a["venues"]), a["language"],
        date.fromisoformat(a["nomination_deadline"]),
        tuple((Party(p), int(n)) for p, n in a["places"].items()),
    )  # fmt: skip
    return TrainingEvent(
        id=data["id"],
        host_body=data["host_body"],
        host_party=Party(data["host_party"]),
        announcement=announcement,
        created_at=datetime.fromisoformat(data["created_at"]),
        created_by=data["created_by"],
        state=EventState(data["state"]),
        nominations=tuple(
            Nomination(
                n["id"],
                n["body_id"],
                Party(n["party"]),
                Nominee(n["nominee"]["name"], n["nominee"]["post"], n["nominee"]["contact"]),
                datetime.fromisoformat(n["at"]),
                n["by"],
                NominationState(n["state"]),
                _odt(n["decided_at"]),
                n["decided_by"],
                n["reason"],
            )
            for n in data["nominations"]
        ),
        closing_text=data.get("closing_text", ""),
        version=int(data["version"]),
    )
