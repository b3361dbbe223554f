"""Strict readers for the fields of wire objects.

Each reader accepts exactly one spelling of a value (the one our writers produce), so that a
parsed object written back gives the same canonical bytes, and a signature computed over one
spelling cannot be carried over to another. Every failure is a ``FieldError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from ozara.crypto import b64url_decode

from .canonical import JSONObject, JSONValue

#: Node ids, body ids, officer ids: printable, no spaces, bounded.
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z")


class FieldError(ValueError):
    """A wire field that is missing, of the wrong type, or not in its one spelling."""


def format_time(value: datetime) -> str:
    """UTC, ISO 8601, ``Z`` suffix; microseconds only when there are some."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def check_keys(obj: JSONObject, required: Iterable[str], where: str) -> None:
    expected = set(required)
    if set(obj) != expected:
        missing = sorted(expected - set(obj))
        extra = sorted(set(obj) - expected)
        raise FieldError(f"{where}: missing {missing}, unexpected {extra}")


def get_object(obj: JSONObject, key: str) -> JSONObject:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise FieldError(f"{key}: expected an object")
    return value


def get_list(obj: JSONObject, key: str) -> list[JSONValue]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise FieldError(f"{key}: expected an array")
    return value


def get_str(obj: JSONObject, key: str, *, max_length: int = 1024) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise FieldError(f"{key}: expected a non-empty string of at most {max_length}")
    return value


def get_identifier(obj: JSONObject, key: str) -> str:
    value = get_str(obj, key)
    return as_identifier(value, key)


def as_identifier(value: JSONValue, where: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise FieldError(f"{where}: expected an identifier")
    return value


#: The largest integer an IEEE 754 double holds exactly: RFC 8785 (and so every signature
#: here) cannot canonicalize one above it, so a document carrying one is malformed.
MAX_EXACT_INT = 2**53 - 1


def get_int(obj: JSONObject, key: str, *, minimum: int = 0) -> int:
    value = obj.get(key)
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not minimum <= value <= MAX_EXACT_INT
    ):
        raise FieldError(f"{key}: expected an integer from {minimum} to {MAX_EXACT_INT}")
    return value


def get_time(obj: JSONObject, key: str) -> datetime:
    text = get_str(obj, key, max_length=32)
    if not _TIME.fullmatch(text):
        raise FieldError(f"{key}: expected a UTC timestamp like 2026-01-30T07:00:00Z")
    try:
        value = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise FieldError(f"{key}: not a valid date and time") from None
    if format_time(value) != text:
        raise FieldError(f"{key}: non-canonical timestamp")
    return value


def get_uuid(obj: JSONObject, key: str) -> UUID:
    text = get_str(obj, key, max_length=36)
    try:
        value = UUID(text)
    except ValueError:
        raise FieldError(f"{key}: expected a UUID") from None
    if str(value) != text:
        raise FieldError(f"{key}: expected a UUID in lower-case hyphenated form")
    return value


def get_optional_uuid(obj: JSONObject, key: str) -> UUID | None:
    if obj.get(key) is None:
        return None
    return get_uuid(obj, key)


def get_bytes(obj: JSONObject, key: str, *, max_length: int = 4096) -> bytes:
    text = get_str(obj, key, max_length=max_length)
    try:
        return b64url_decode(text)
    except ValueError as exc:
        raise FieldError(f"{key}: {exc}") from None


def get_hex64(obj: JSONObject, key: str) -> str:
    value = get_str(obj, key, max_length=64)
    if not _HEX64.fullmatch(value):
        raise FieldError(f"{key}: expected 64 lower-case hex digits")
    return value
