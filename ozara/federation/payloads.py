"""The bodies of the Secretariat's documents, read strictly (one spelling per value).

``designation_notice`` (Art. 4): a competent body as the Secretariat now records it; a body
already known with other particulars is a change (e.g. ``designated_until`` set)::

    {"body": {"id", "party", "name_ru", "name_en", "timezone",
              "designated_from": "...Z", "designated_until": "...Z" | null}}

``treaty_notification`` (Art. 16, 18)::

    {"party": "ARM", "kind": "ratification" | "withdrawal",
     "received_on": "2026-01-30", "effective_on": "2026-08-01" | null}

``trust_list``: ``{"trust_list": <the signed trust list>}`` (``ozara/documents/trust.py``).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ozara.core.parties import CompetentBody, Party
from ozara.core.treaty import NotificationKind, TreatyNotification
from ozara.documents import JSONObject, TrustList
from ozara.documents import fields as f

_BODY_KEYS = (
    "id",
    "party",
    "name_ru",
    "name_en",
    "timezone",
    "designated_from",
    "designated_until",
)
_NOTIFICATION_KEYS = ("party", "kind", "received_on", "effective_on")


class PayloadError(ValueError):
    """A document body that is not what its type requires."""


def designation_body(body: CompetentBody) -> JSONObject:
    return {
        "body": {
            "id": body.id,
            "party": body.party.value,
            "name_ru": body.name_ru,
            "name_en": body.name_en,
            "timezone": body.timezone,
            "designated_from": f.format_time(body.designated_from),
            "designated_until": None
            if body.designated_until is None
            else f.format_time(body.designated_until),
        }
    }


def read_designation(value: JSONObject) -> CompetentBody:
    try:
        f.check_keys(value, ("body",), "designation_notice")
        raw = f.get_object(value, "body")
        f.check_keys(raw, _BODY_KEYS, "body")
        zone = f.get_str(raw, "timezone", max_length=64)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise f.FieldError("timezone: not an IANA time zone") from None
        return CompetentBody(
            id=f.get_identifier(raw, "id"),
            party=_party(raw),
            name_ru=f.get_str(raw, "name_ru", max_length=500),
            name_en=f.get_str(raw, "name_en", max_length=500),
            timezone=zone,
            designated_from=f.get_time(raw, "designated_from"),
            designated_until=None
            if raw.get("designated_until") is None
            else f.get_time(raw, "designated_until"),
        )
    except f.FieldError as exc:
        raise PayloadError(str(exc)) from None


def notification_body(notification: TreatyNotification) -> JSONObject:
    return {
        "party": notification.party.value,
        "kind": notification.kind.value,
        "received_on": notification.received_on.isoformat(),
        "effective_on": None
        if notification.effective_on is None
        else notification.effective_on.isoformat(),
    }


def read_notification(value: JSONObject) -> TreatyNotification:
    try:
        f.check_keys(value, _NOTIFICATION_KEYS, "treaty_notification")
        try:
            kind = NotificationKind(f.get_str(value, "kind", max_length=32))
        except ValueError:
            raise f.FieldError("kind: not a kind of notification") from None
        return TreatyNotification(
            party=_party(value),
            kind=kind,
            received_on=_date(value, "received_on"),
            effective_on=None
            if value.get("effective_on") is None
            else _date(value, "effective_on"),
        )
    except f.FieldError as exc:
        raise PayloadError(str(exc)) from None


def trust_list_body(trust_list: TrustList) -> JSONObject:
    return {"trust_list": trust_list.to_signed_json()}


def read_trust_list(value: JSONObject) -> TrustList:
    """The list in the body, not yet verified; raise ``PayloadError`` or ``TrustListRejected``."""
    try:
        f.check_keys(value, ("trust_list",), "trust_list")
        return TrustList.from_json(f.get_object(value, "trust_list"))
    except f.FieldError as exc:
        raise PayloadError(str(exc)) from None


def _party(value: JSONObject) -> Party:
    code = f.get_str(value, "party", max_length=3)
    try:
        return Party(code)
    except ValueError:
        raise f.FieldError("party: not a Party of the Protocol") from None


def _date(value: JSONObject, key: str) -> date:
    text = f.get_str(value, key, max_length=10)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise f.FieldError(f"{key}: expected a date like 2026-01-30") from None
    if day.isoformat() != text:
        raise f.FieldError(f"{key}: non-canonical date")
    return day
