"""The JSON Schema of the request document agrees with ``parse_request`` (Art. 3, 6, 7).

The schema ships in the package (``ozara/schemas/request.schema.json``) for the
requesting bodies' own tools; ``parse_request`` is what the node applies. Both must
accept the same documents and, for a broken one, name the same field.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError

from ozara.core.requests import MAX_AGREED_TERM_DAYS, AssistanceKind, parse_request
from ozara.core.rules import RULES, ProtocolError

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SCHEMA: dict[str, Any] = json.loads(
    resources.files("ozara").joinpath("schemas/request.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = Draft202012Validator(SCHEMA)
#: Checked by parse_request but not expressible in JSON Schema (docs/request-schema.md).
BEYOND_SCHEMA = {"art4.distinct_parties"}


def _field(path: Any, name: str | None = None) -> str:
    parts = [*path, name] if name is not None else list(path)
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "$"


def _error_fields(error: ValidationError) -> set[str]:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        return {_field(error.absolute_path, p) for p in missing}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return {_field(error.absolute_path, p) for p in error.instance if p not in known}
    return {_field(error.absolute_path)}


def schema_fields(document: object) -> set[str]:
    """The fields the schema's errors point at; empty when the document is valid."""
    return {f for e in VALIDATOR.iter_errors(document) for f in _error_fields(e)}


def parse_fields(document: object) -> set[str]:
    """The fields ``parse_request`` names; empty when it accepts the document."""
    try:
        parse_request(document)
    except ProtocolError as e:
        return {v.field for v in e.violations if v.rule not in BEYOND_SCHEMA}
    return set()


def valid() -> dict[str, Any]:
    return json.loads((EXAMPLES / "request-valid.json").read_text(encoding="utf-8"))


def _top(fields: set[str]) -> set[str]:
    return {f.split(".")[0].split("[")[0] for f in fields}


# --- the schema and the examples ---------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


def test_every_property_cites_its_article() -> None:
    for name, prop in SCHEMA["properties"].items():
        assert "Art. " in prop["description"], name
    for sub in (
        SCHEMA["properties"]["assistance"]["properties"]["items"]["items"]["properties"],
        SCHEMA["properties"]["attachments"]["items"]["properties"],
    ):
        for name, prop in sub.items():
            assert "Art. " in prop["description"], name


def test_schema_mentions_only_known_rules() -> None:
    cited = set(re.findall(r"\b(art\d+\.[a-z_]+)", json.dumps(SCHEMA)))
    assert cited
    assert cited <= set(RULES)


def test_schema_and_core_share_the_term_bound() -> None:
    assert SCHEMA["properties"]["agreed_term_days"]["maximum"] == MAX_AGREED_TERM_DAYS
    kinds = SCHEMA["properties"]["assistance"]["properties"]["items"]["items"]["properties"]
    assert set(kinds["kind"]["enum"]) == {k.value for k in AssistanceKind}


@pytest.mark.parametrize("name", ["request-valid.json", "request-urgent.json"])
def test_examples_validate_and_parse(name: str) -> None:
    document = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    assert schema_fields(document) == set()
    content = parse_request(document)
    assert content.requesting_body == "KAZ-MVD"
    assert content.requested_body == "RUS-MVD"
    assert content.urgent is (name == "request-urgent.json")


# --- agreement on broken documents ------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    doc = valid()
    del doc[key]
    return doc


def _with(**changes: Any) -> dict[str, Any]:
    return {**valid(), **changes}


def _item(**changes: Any) -> dict[str, Any]:
    item = {"kind": "procedural_action", "description": "Истребовать журналы подключений"}
    return _with(assistance={"items": [{**item, **changes}]})


def _attachment(drop: str | None = None, **changes: Any) -> dict[str, Any]:
    att = {"filename": "a.pdf", "size": 10, "sha256": "ab" * 32, "media_type": "application/pdf"}
    att.update(changes)
    if drop:
        del att[drop]
    return _with(attachments=[att])


BROKEN: list[tuple[str, object, str]] = [
    ("not an object", ["KAZ-MVD", "RUS-MVD"], "$"),
    ("missing requesting body", _without("requesting_body"), "requesting_body"),
    ("requesting body a number", _with(requesting_body=42), "requesting_body"),
    ("missing requested body", _without("requested_body"), "requested_body"),
    ("missing purpose", _without("purpose"), "purpose"),
    ("blank justification", _with(justification="   "), "justification"),
    ("null substance", _with(substance=None), "substance"),
    ("missing execution terms", _without("execution_terms"), "execution_terms"),
    ("missing legal qualification", _without("legal_qualification"), "legal_qualification"),
    ("missing crime category", _without("crime_category"), "crime_category"),
    ("empty crime category", _with(crime_category=""), "crime_category"),
    ("crime category z", _with(crime_category="z"), "crime_category"),
    ("crime category a number", _with(crime_category=3), "crime_category"),
    ("missing assistance", _without("assistance"), "assistance"),
    ("assistance a string", _with(assistance="help"), "assistance"),
    ("assistance empty", _with(assistance={}), "assistance"),
    ("assistance blank", _with(assistance={"items": [], "text": "  "}), "assistance"),
    ("assistance items not a list", _with(assistance={"items": "x"}), "assistance.items"),
    ("assistance text a number", _with(assistance={"text": 5}), "assistance.text"),
    ("item not an object", _with(assistance={"items": ["x"]}), "assistance.items[0]"),
    ("item of unknown kind", _item(kind="interrogation"), "assistance.items[0].kind"),
    ("misspelled field", _with(agreed_term_day=10), "agreed_term_day"),
    ("unknown key in an item", _item(note="x"), "assistance.items[0].note"),
    ("item without kind", _item(kind=None), "assistance.items[0].kind"),
    ("item blank description", _item(description=" "), "assistance.items[0].description"),
    ("urgent yes", _with(urgent="yes"), "urgent"),
    ("urgent null", _with(urgent=None), "urgent"),
    ("urgent without grounds", _with(urgent=True), "urgent_grounds"),
    ("urgent blank grounds", _with(urgent=True, urgent_grounds=" "), "urgent_grounds"),
    ("grounds a number", _with(urgent_grounds=5), "urgent_grounds"),
    ("agreed term 0", _with(agreed_term_days=0), "agreed_term_days"),
    ("agreed term 367", _with(agreed_term_days=367), "agreed_term_days"),
    ("agreed term as text", _with(agreed_term_days="30"), "agreed_term_days"),
    ("agreed term true", _with(agreed_term_days=True), "agreed_term_days"),
    ("agreed term 1.5", _with(agreed_term_days=1.5), "agreed_term_days"),
    ("attachments not a list", _with(attachments={}), "attachments"),
    ("attachments null", _with(attachments=None), "attachments"),
    ("attachment not an object", _with(attachments=["a.pdf"]), "attachments[0]"),
    ("attachment without name", _attachment(drop="filename"), "attachments[0].filename"),
    ("attachment blank name", _attachment(filename=" "), "attachments[0].filename"),
    ("attachment without size", _attachment(drop="size"), "attachments[0].size"),
    ("attachment negative size", _attachment(size=-1), "attachments[0].size"),
    ("attachment size as text", _attachment(size="10"), "attachments[0].size"),
    ("attachment without digest", _attachment(drop="sha256"), "attachments[0].sha256"),
    ("attachment short digest", _attachment(sha256="ab" * 31), "attachments[0].sha256"),
    ("attachment non-hex digest", _attachment(sha256="zz" * 32), "attachments[0].sha256"),
    ("attachment null media type", _attachment(media_type=None), "attachments[0].media_type"),
    ("other information a number", _with(other_information=7), "other_information"),
    ("reference a list", _with(reference=["x"]), "reference"),
]


@pytest.mark.parametrize(("document", "field"), [pytest.param(d, f, id=n) for n, d, f in BROKEN])
def test_broken_document_is_rejected_by_both_naming_the_field(document: object, field: str) -> None:
    from_schema, from_core = schema_fields(document), parse_fields(document)
    assert field in from_schema
    assert field in from_core
    # parse_request adds "assistance" when no item is usable; the rest is the same.
    assert from_schema == from_core - ({"assistance"} if field != "assistance" else set())


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("upper-case category", _with(crime_category="C")),
    ("category a", _with(crime_category="a")),
    ("upper-case digest", _attachment(sha256="AB" * 32)),
    ("attachment without media type", _attachment(drop="media_type")),
    ("attachment of size 0", _attachment(size=0)),
    ("no attachments", _with(attachments=[])),
    ("optional texts null", _with(other_information=None, reference=None, urgent_grounds=None)),
    ("no urgent flag", _without("urgent")),
    ("not urgent, grounds blank", _with(urgent=False, urgent_grounds="")),
    ("agreed term 1", _with(agreed_term_days=1)),
    ("agreed term 366", _with(agreed_term_days=366)),
    ("agreed term null", _with(agreed_term_days=None)),
    ("assistance as text only", _with(assistance={"text": "Допросить владельца домена"})),
    ("assistance as items only", _item()),
    ("texts with spaces around", _with(purpose="  Установление лиц  ")),
]


@pytest.mark.parametrize("document", [pytest.param(d, id=n) for n, d in ACCEPTED])
def test_documents_accepted_by_both(document: dict[str, Any]) -> None:
    assert schema_fields(document) == set()
    parse_request(document)


def test_distinct_bodies_is_checked_beyond_the_schema() -> None:
    """Art. 4: same body on both sides; JSON Schema cannot compare two fields."""
    document = _with(requested_body="KAZ-MVD")
    assert schema_fields(document) == set()
    with pytest.raises(ProtocolError) as caught:
        parse_request(document)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("requested_body", "art4.distinct_parties")
    ]


def test_whole_number_written_as_decimal() -> None:
    """Both take 30.0 as the integer 30, as JSON itself does not tell them apart."""
    document = _with(agreed_term_days=30.0)
    assert schema_fields(document) == parse_fields(document) == set()
    assert parse_request(document).agreed_term_days == 30


# --- agreement on generated documents ---------------------------------------------------

ANY = st.sampled_from([None, "", "  ", "x", "c", "C", "z", 0, 1, -1, 1.5, True, False, [], {}])
TEXT = st.one_of(ANY, st.text(max_size=3))
ITEM = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {},
        optional={
            "kind": st.one_of(ANY, st.sampled_from([k.value for k in AssistanceKind])),
            "description": TEXT,
        },
    ),
)
ASSISTANCE = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {}, optional={"items": st.one_of(ANY, st.lists(ITEM, max_size=3)), "text": TEXT}
    ),
)
DIGEST = st.sampled_from(["ab" * 32, "AB" * 32, "ab" * 31, "g" * 64, "ab" * 33])
ATTACHMENT = st.one_of(
    ANY,
    st.fixed_dictionaries(
        {},
        optional={
            "filename": TEXT,
            "size": st.one_of(ANY, st.integers(-2, 2**40)),
            "sha256": st.one_of(ANY, DIGEST),
            "media_type": st.one_of(ANY, st.just("application/pdf")),
        },
    ),
)
_TEXT_KEYS = (
    "requesting_body",
    "requested_body",
    "purpose",
    "justification",
    "substance",
    "execution_terms",
    "legal_qualification",
    "other_information",
    "urgent_grounds",
    "reference",
)
CHANGES = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(_TEXT_KEYS, TEXT),
        "crime_category": st.one_of(ANY, st.sampled_from(["a", "b", "c", "A", "B", "C", "d"])),
        "assistance": ASSISTANCE,
        "urgent": st.one_of(ANY, st.booleans()),
        "agreed_term_days": st.one_of(ANY, st.integers(-1, 400)),
        "attachments": st.one_of(ANY, st.lists(ATTACHMENT, max_size=2)),
        "unknown": ANY,
    },
)
_ALL_KEYS = (*_TEXT_KEYS, "crime_category", "assistance", "urgent", "attachments")
BASE = valid()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=CHANGES, dropped=st.sets(st.sampled_from(_ALL_KEYS), max_size=3))
def test_schema_and_parse_request_agree(changes: dict[str, Any], dropped: set[str]) -> None:
    document = copy.deepcopy(BASE)
    document.update(changes)
    for key in dropped:
        document.pop(key, None)
    from_schema, from_core = schema_fields(document), parse_fields(document)
    assert bool(from_schema) == bool(from_core), (from_schema, from_core)
    # parse_request stops at an entry's first fault; the schema reports each, so the
    # two agree on the top-level fields at fault.
    assert _top(from_schema) == _top(from_core)
