"""Canonical JSON (RFC 8785) and the strict JSON reader."""

from __future__ import annotations

import json

import pytest

from ozara.documents import CanonicalJSONError, canonicalize, parse_json
from ozara.documents.canonical import MAX_DEPTH, JSONObject


def jcs(text: str) -> str:
    """Parse JSON text as a receiver would, and canonicalize it."""
    return canonicalize(parse_json(text.encode())).decode()


def test_rfc8785_section_3_2_2_example() -> None:
    text = r"""
    {
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }
    """
    expected = (
        '{"literals":[null,true,false],'
        '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert jcs(text) == expected


def test_rfc8785_section_3_2_3_sorting_by_utf16_code_units() -> None:
    text = r"""
    {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }
    """
    keys = list(json.loads(jcs(text)))
    # U+1F600 sorts by its surrogates (D83D DE00): before U+FB33 though greater as a code point.
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        # RFC 8785 Appendix B (IEEE 754 value -> canonical text).
        ("0", "0"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("5e-324", "5e-324"),
        ("-5e-324", "-5e-324"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("9007199254740992.0", "9007199254740992"),
        ("295147905179352830000", "295147905179352830000"),
        ("9.999999999999997e22", "9.999999999999997e+22"),
        ("1e23", "1e+23"),
        ("1e21", "1e+21"),
        ("999999999999999900000", "999999999999999900000"),
        ("0.000001", "0.000001"),
        ("1e-7", "1e-7"),
        ("4.50", "4.5"),
        ("-1.5E+2", "-150"),
        ("12", "12"),
        ("9007199254740991", "9007199254740991"),
    ],
)
def test_numbers_take_their_shortest_ecmascript_form(number: str, expected: str) -> None:
    if number in ("295147905179352830000", "999999999999999900000"):
        number += ".0"  # beyond 2**53 an integer is refused; as a double it is fine
    assert jcs(f"[{number}]") == f"[{expected}]"


def test_whitespace_goes_and_members_are_sorted() -> None:
    assert jcs('{ "b" : [ 1 , 2 ] ,\n "a" : { "d" : null , "c" : true } }') == (
        '{"a":{"c":true,"d":null},"b":[1,2]}'
    )


def test_cyrillic_and_kazakh_letters_are_raw_utf8_whatever_their_escaping() -> None:
    escaped = r'{"s":"\u049a\u0430\u0437\u0430\u049b\u0441\u0442\u0430\u043d \u04d9\u04e9\u04af"}'
    raw = '{"s":"Қазақстан әөү"}'
    assert canonicalize(parse_json(escaped.encode())) == raw.encode("utf-8")
    assert canonicalize(parse_json(raw.encode())) == raw.encode("utf-8")


def test_cyrillic_and_kazakh_keys_sort_by_code_unit() -> None:
    # а U+0430, я U+044F, і U+0456, ғ U+0493, қ U+049B, ң U+04A3, ү U+04AF, ұ U+04B1,
    # һ U+04BB, ә U+04D9, ө U+04E9; Latin first.
    keys = ["ә", "ө", "я", "қ", "а", "ғ", "ң", "ү", "ұ", "һ", "і", "z"]
    canonical = canonicalize(dict.fromkeys(keys, 0)).decode()
    assert list(json.loads(canonical)) == [
        "z", "а", "я", "і", "ғ", "қ", "ң", "ү", "ұ", "һ", "ә", "ө"
    ]  # fmt: skip


def test_control_characters_are_escaped_in_lower_case_hex() -> None:
    assert canonicalize(["\x00\x1f\x7f\t\u2028"]) == b'["\\u0000\\u001f\x7f\\t\xe2\x80\xa8"]'


def test_canonical_bytes_do_not_depend_on_insertion_order() -> None:
    first: JSONObject = {"тип": "request", "id": 1, "body": {"б": 2, "а": 1}}
    second: JSONObject = {"body": {"а": 1, "б": 2}, "id": 1, "тип": "request"}
    assert canonicalize(first) == canonicalize(second)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, -(2**53)])
def test_values_outside_i_json_cannot_be_canonicalized(value: float) -> None:
    with pytest.raises(CanonicalJSONError):
        canonicalize([value])


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "a": 2}',
        b"[NaN]",
        b"[Infinity]",
        b"[-Infinity]",
        b"[1e400]",
        b"[9007199254740992]",
        b'["\\ud800"]',
        b'{"\\udfff": 1}',
        b"\xff\xfe[]",
        b'["\xc3"]',
        b"\xef\xbb\xbf[]",
        b"[1,]",
        b"{'a': 1}",
        b"",
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_the_reader_refuses_what_is_not_strict_json(data: bytes) -> None:
    with pytest.raises(CanonicalJSONError):
        parse_json(data)


def test_the_reader_accepts_nesting_up_to_the_limit() -> None:
    data = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert canonicalize(parse_json(data)) == data


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '["' + "[{" * MAX_DEPTH + '\\"[", {"k\\\\": "]]"}]'
    assert parse_json(text.encode()) == ["[{" * MAX_DEPTH + '"[', {"k\\": "]]"}]
