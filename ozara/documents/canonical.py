"""Canonical JSON (RFC 8785, JCS) and strict JSON parsing.

Signatures are computed over the canonical bytes of a JSON value: object members sorted by
their UTF-16 code units, no insignificant whitespace, numbers in ECMAScript's shortest form,
strings as UTF-8 with only the mandatory escapes. The serializer is the ``rfc8785`` package
(Trail of Bits); ``parse_json`` is the strict reader used on everything that arrives from
another node: UTF-8 only, no duplicate member names, no NaN or Infinity, bounded nesting.
"""

from __future__ import annotations

import json
import math
from typing import TypeAlias

import rfc8785

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
JSONObject: TypeAlias = dict[str, JSONValue]

#: Deeper nesting than this is refused (the C parser itself stops at the recursion limit).
MAX_DEPTH = 64


class CanonicalJSONError(ValueError):
    """A value that cannot be canonicalized, or bytes that are not strict JSON."""


def canonicalize(value: JSONValue) -> bytes:
    """The RFC 8785 canonical form of ``value`` as UTF-8 bytes."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeError, RecursionError) as exc:
        raise CanonicalJSONError(f"cannot canonicalize: {exc}") from None


def parse_json(data: bytes) -> JSONValue:
    """Parse UTF-8 JSON strictly; raise ``CanonicalJSONError`` on anything questionable."""
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise CanonicalJSONError(f"not UTF-8: {exc.reason}") from None
    try:
        value: JSONValue = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants
        )
    except (ValueError, RecursionError) as exc:
        raise CanonicalJSONError(f"not JSON: {exc}") from None
    _check_values(value)
    return value


def parse_object(data: bytes) -> JSONObject:
    value = parse_json(data)
    if not isinstance(value, dict):
        raise CanonicalJSONError("expected a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, JSONValue]]) -> JSONObject:
    obj: JSONObject = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate member name {key!r}")
        obj[key] = value
    return obj


def _no_constants(name: str) -> JSONValue:
    raise ValueError(f"{name} is not JSON")


def _check_values(value: JSONValue) -> None:
    """Refuse what JSON parsed but I-JSON (RFC 7493) and JCS cannot carry, and deep nesting."""
    stack: list[tuple[JSONValue, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            raise CanonicalJSONError(f"JSON nested deeper than {MAX_DEPTH}")
        if isinstance(item, dict):
            for key, member in item.items():
                _check_string(key)
                stack.append((member, depth + 1))
        elif isinstance(item, list):
            stack.extend((member, depth + 1) for member in item)
        elif isinstance(item, str):
            _check_string(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise CanonicalJSONError("a number outside the range of IEEE 754 doubles")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**53:
            raise CanonicalJSONError("an integer outside the exact range of IEEE 754 doubles")


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8", errors="strict")
    except UnicodeEncodeError:
        raise CanonicalJSONError("a lone surrogate in a string") from None
