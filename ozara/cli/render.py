"""Plain-text rendering of requests, timelines and deadlines for the terminal."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ozara.core.deadlines import DeadlineKind
from ozara.core.lifecycle import deadline_owner
from ozara.core.parties import Registry
from ozara.services.requests import DueItem, RequestView

DEADLINE_LABELS = {
    DeadlineKind.EXECUTION: "execution (Art. 7 para 2)",
    DeadlineKind.FORWARDING: "forwarding (Art. 7 para 4)",
    DeadlineKind.URGENT_CONFIRMATION: "written confirmation (Art. 6 para 4)",
}


def zone_of(registry: Registry, body_id: str) -> ZoneInfo:
    body = registry.get(body_id)
    return body.zone if body else ZoneInfo("UTC")


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def request_text(view: RequestView, now: datetime) -> str:
    r, reg = view.request, view.registry
    c = r.content
    lines = [
        f"Request {r.id}  [{r.state.value}]" + ("  URGENT" if c.urgent else ""),
        f"  requesting body : {c.requesting_body}",
        f"  requested body  : {r.requested_body}"
        + (
            f" (first addressed to {c.requested_body})"
            if r.requested_body != c.requested_body
            else ""
        ),
        f"  category        : Art. 3 ({c.crime_category.value}); {c.legal_qualification}",
        f"  purpose         : {c.purpose}",
        f"  justification   : {c.justification}",
        f"  substance       : {c.substance}",
        "  assistance      : "
        + "; ".join(f"[{i.kind.value}] {i.description}" for i in c.assistance_items)
        + (f" {c.assistance_text}" if c.assistance_text else ""),
        f"  execution terms : {c.execution_terms}",
    ]
    if c.other_information:
        lines.append(f"  other           : {c.other_information}")
    for a in c.attachments:
        lines.append(f"  attachment      : {a.filename} ({a.size} bytes, sha256 {a.sha256})")
    if r.signed_by:
        zone = zone_of(reg, c.requesting_body)
        lines.append(f"  signed by       : {r.signed_by} at {local(r.signed_at, zone)}")
    if r.conditions:
        accepted = {None: "pending", True: "accepted", False: "declined"}[r.conditions_accepted]
        lines.append(f"  conditions      : {r.conditions} ({accepted})")
    if r.outcome:
        lines.append(f"  outcome         : {r.outcome}")
    if r.deadlines:
        lines.append("  deadlines:")
        for d in r.deadlines:
            zone = zone_of(reg, deadline_owner(r, d.kind))
            lines.append(f"    - {DEADLINE_LABELS[d.kind]:<38} {d.describe(zone, now)}")
    lines.append("  timeline:")
    for e in view.events:
        zone = zone_of(reg, e.body_id) if e.body_id else ZoneInfo("UTC")
        text = e.details.get("text")
        suffix = f" — {text}" if text else ""
        lines.append(
            f"    {local(e.at, zone)}  {e.name:<28} {e.actor_id} [{', '.join(e.articles)}]{suffix}"
        )
    if view.allowed:
        lines.append("  you may now: " + ", ".join(a.value for a in view.allowed))
    return "\n".join(lines)


def due_text(items: list[DueItem]) -> str:
    if not items:
        return "Nothing due."
    lines = []
    for body in sorted({i.body_id for i in items}):
        lines.append(f"{body}:")
        for i in (x for x in items if x.body_id == body):
            flag = "OVERDUE" if i.overdue else "due    "
            label = DEADLINE_LABELS[DeadlineKind(i.kind)]
            exact = DeadlineKind(i.kind) is DeadlineKind.URGENT_CONFIRMATION
            last_minute = i.local_due if exact else i.local_due - timedelta(minutes=1)
            lines.append(
                f"  {flag} {i.request_id:<24} {label:<38} by {last_minute:%Y-%m-%d %H:%M} "
                f"{i.local_due.tzinfo}"
            )
    return "\n".join(lines)
