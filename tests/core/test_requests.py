"""The request of Art. 6: required content, Art. 3 category, types, and the parties check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from ozara import seed
from ozara.core.parties import Party, Registry
from ozara.core.requests import (
    MAX_AGREED_TERM_DAYS,
    AssistanceKind,
    CrimeCategory,
    RequestContent,
    check_parties,
    parse_request,
)
from ozara.core.rules import RULESET_VERSION, ProtocolError, Violation
from ozara.core.treaty import NotificationKind, TreatyNotification, TreatyStatus

MakeDocument = Callable[..., dict[str, Any]]


def violations_of(data: object) -> list[Violation]:
    with pytest.raises(ProtocolError) as caught:
        parse_request(data)
    return list(caught.value.violations)


def by_field(violations: list[Violation]) -> dict[str, Violation]:
    return {v.field: v for v in violations}


# --- a valid request ---------------------------------------------------------------


def test_valid_request_parses_with_every_art6_field(document: dict[str, Any]) -> None:
    content = parse_request(document)
    assert content.requesting_body == "KAZ-MVD"
    assert content.requested_body == "RUS-MVD"
    assert content.crime_category is CrimeCategory.IT_CRIME
    assert [i.kind for i in content.assistance_items] == [
        AssistanceKind.OPERATIONAL_SEARCH_MEASURE,
        AssistanceKind.PROCEDURAL_ACTION,
    ]
    assert content.attachments[0].sha256 == "a" * 64
    assert content.urgent is False
    assert content.agreed_term_days is None


def test_parsed_request_round_trips_through_its_dict(document: dict[str, Any]) -> None:
    content = parse_request(document)
    assert parse_request(content.to_dict()) == content


def test_text_fields_are_stripped(make_document: MakeDocument) -> None:
    content = parse_request(make_document(purpose="  Identify the operators  "))
    assert content.purpose == "Identify the operators"


def test_parse_reports_every_fault_at_once(make_document: MakeDocument) -> None:
    """Art. 6 para 2: a draft is fixed in one pass, so all faults are listed together."""
    doc = make_document(purpose="", substance=None, crime_category="z", urgent=True)
    fields = {v.field for v in violations_of(doc)}
    assert {"purpose", "substance", "crime_category", "urgent_grounds"} <= fields


# --- Art. 6 para 2: required fields ------------------------------------------------

ART6_TEXT_FIELDS = (
    "requesting_body",
    "requested_body",
    "purpose",
    "justification",
    "substance",
    "execution_terms",
)


@pytest.mark.parametrize("name", ART6_TEXT_FIELDS)
@pytest.mark.parametrize("missing", ["absent", None, "", "   "])
def test_art6_para2_each_required_field_missing_is_named(
    make_document: MakeDocument, name: str, missing: object
) -> None:
    doc = make_document()
    if missing == "absent":
        del doc[name]
    else:
        doc[name] = missing
    found = by_field(violations_of(doc))
    assert name in found
    assert found[name].rule == "art6.required"
    assert found[name].article == "Art. 6 para 2"


@pytest.mark.parametrize(
    "assistance",
    [None, "absent", "a text instead of an object", {"items": [], "text": ""}, {}],
)
def test_art6_para2_content_of_assistance_sought_is_required(
    make_document: MakeDocument, assistance: object
) -> None:
    doc = make_document(assistance=assistance)
    if assistance == "absent":
        del doc["assistance"]
    found = by_field(violations_of(doc))
    assert found["assistance"].rule == "art6.required"
    assert found["assistance"].article == "Art. 6 para 2"


def test_art6_para2_assistance_as_free_text_alone_is_enough(make_document: MakeDocument) -> None:
    content = parse_request(make_document(assistance={"text": "Question the hosting provider"}))
    assert content.assistance_items == ()
    assert content.assistance_text == "Question the hosting provider"


def test_art6_para2_assistance_item_kind_must_be_a_measure_or_an_action(
    make_document: MakeDocument,
) -> None:
    doc = make_document(assistance={"items": [{"kind": "arrest", "description": "Arrest him"}]})
    found = by_field(violations_of(doc))
    assert found["assistance.items[0].kind"].rule == "art6.assistance_item"
    assert found["assistance.items[0].kind"].article == "Art. 6 para 2"


def test_art6_para2_assistance_item_needs_a_description(make_document: MakeDocument) -> None:
    doc = make_document(
        assistance={"items": [{"kind": "procedural_action", "description": "  "}], "text": "x"}
    )
    found = by_field(violations_of(doc))
    assert found["assistance.items[0].description"].article == "Art. 6 para 2"


def test_violation_as_dict_cites_article_and_ruleset(make_document: MakeDocument) -> None:
    """Art. 15: every decision names the rule-set version it was taken under."""
    with pytest.raises(ProtocolError) as caught:
        parse_request(make_document(purpose=""))
    (entry,) = caught.value.as_dicts()
    assert entry == {
        "field": "purpose",
        "rule": "art6.required",
        "article": "Art. 6 para 2",
        "message": entry["message"],
        "ruleset": RULESET_VERSION,
    }
    assert "purpose" in str(caught.value)
    assert "Art. 6 para 2" in str(caught.value)


# --- Art. 3: category and legal qualification --------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", CrimeCategory.CONSTITUTIONAL_ORDER),
        ("b", CrimeCategory.PEACE_AND_SECURITY),
        ("c", CrimeCategory.IT_CRIME),
        ("A", CrimeCategory.CONSTITUTIONAL_ORDER),
    ],
)
def test_art3_category_a_b_or_c_is_accepted(
    make_document: MakeDocument, raw: str, expected: CrimeCategory
) -> None:
    assert parse_request(make_document(crime_category=raw)).crime_category is expected


@pytest.mark.parametrize("raw", ["d", "it", "ab", 1, True, ["a"], "absent", None, ""])
def test_art3_category_other_than_a_b_c_is_refused(
    make_document: MakeDocument, raw: object
) -> None:
    doc = make_document(crime_category=raw)
    if raw == "absent":
        del doc["crime_category"]
    found = by_field(violations_of(doc))
    assert found["crime_category"].rule == "art3.category"
    assert found["crime_category"].article == "Art. 3"


@pytest.mark.parametrize("missing", ["absent", None, "", "  "])
def test_art3_legal_qualification_is_required_and_cited_under_art3(
    make_document: MakeDocument, missing: object
) -> None:
    doc = make_document(legal_qualification=missing)
    if missing == "absent":
        del doc["legal_qualification"]
    violations = violations_of(doc)
    mine = [v for v in violations if v.field == "legal_qualification"]
    assert len(mine) == 1, "reported once, under Art. 3, not also under Art. 6"
    assert mine[0].rule == "art3.qualification"
    assert mine[0].article == "Art. 3"


# --- attachments (Art. 6 para 2, other useful information) --------------------------


def attachment(**overrides: Any) -> dict[str, Any]:
    return {"filename": "a.pdf", "size": 10, "sha256": "0123456789abcdef" * 4, **overrides}


def test_attachment_digest_is_normalised_to_lower_case(make_document: MakeDocument) -> None:
    content = parse_request(make_document(attachments=[attachment(sha256="ABCDEF12" * 8)]))
    assert content.attachments[0].sha256 == "abcdef12" * 8
    assert content.attachments[0].media_type == "application/octet-stream"


@pytest.mark.parametrize(
    "digest",
    [
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "",
        None,
        12345,
        "a" * 32 + " " + "a" * 31,
        "sha256:" + "a" * 57,
        "a" * 64 + "\n",  # ``$`` alone would let a trailing newline through
    ],
)
def test_attachment_needs_a_sha256_of_64_hex_characters(
    make_document: MakeDocument, digest: object
) -> None:
    found = by_field(violations_of(make_document(attachments=[attachment(sha256=digest)])))
    assert found["attachments[0].sha256"].rule == "art6.attachment"
    assert found["attachments[0].sha256"].article == "Art. 6 para 2"


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"filename": ""}, "filename"),
        ({"filename": None}, "filename"),
        ({"size": -1}, "size"),
        ({"size": "10"}, "size"),
        ({"size": True}, "size"),
        ({"size": 1.5}, "size"),
    ],
)
def test_attachment_needs_a_file_name_and_a_size(
    make_document: MakeDocument, overrides: dict[str, Any], where: str
) -> None:
    found = by_field(violations_of(make_document(attachments=[attachment(**overrides)])))
    assert found[f"attachments[0].{where}"].rule == "art6.attachment"


def test_each_faulty_attachment_is_named_by_its_index(make_document: MakeDocument) -> None:
    doc = make_document(attachments=[attachment(), attachment(sha256="x"), "not an object"])
    found = by_field(violations_of(doc))
    assert set(found) == {"attachments[1].sha256", "attachments[2]"}
    assert found["attachments[2]"].rule == "input.type"


def test_attachments_must_be_a_list(make_document: MakeDocument) -> None:
    found = by_field(violations_of(make_document(attachments=attachment())))
    assert found["attachments"].rule == "input.type"


# --- wrong types ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, [], "request", 42, [("purpose", "x")]])
def test_a_request_must_be_a_json_object(data: object) -> None:
    (v,) = violations_of(data)
    assert v.field == "$"
    assert v.rule == "input.type"


@pytest.mark.parametrize("name", [*ART6_TEXT_FIELDS, "other_information", "reference"])
def test_list_instead_of_text_is_a_type_error(make_document: MakeDocument, name: str) -> None:
    found = by_field(violations_of(make_document(**{name: ["KAZ-MVD"]})))
    assert found[name].rule == "input.type"


def test_number_instead_of_text_is_a_type_error(make_document: MakeDocument) -> None:
    found = by_field(violations_of(make_document(purpose=0)))
    assert found["purpose"].rule == "input.type"


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "true"])
def test_urgent_must_be_a_boolean(make_document: MakeDocument, value: object) -> None:
    found = by_field(violations_of(make_document(urgent=value)))
    assert found["urgent"].rule == "input.type"


def test_assistance_items_must_be_a_list_of_objects(make_document: MakeDocument) -> None:
    found = by_field(violations_of(make_document(assistance={"items": "x", "text": 5})))
    assert found["assistance.items"].rule == "input.type"
    assert found["assistance.text"].rule == "input.type"
    found = by_field(violations_of(make_document(assistance={"items": ["x"], "text": "t"})))
    assert found["assistance.items[0]"].rule == "input.type"


# --- same body, urgency, agreed term ------------------------------------------------


def test_art4_requesting_and_requested_body_must_differ(make_document: MakeDocument) -> None:
    found = by_field(violations_of(make_document(requested_body="KAZ-MVD")))
    assert found["requested_body"].rule == "art4.distinct_parties"
    assert found["requested_body"].article == "Art. 4"


def test_art6_para4_urgent_request_needs_its_grounds(make_document: MakeDocument) -> None:
    found = by_field(violations_of(make_document(urgent=True, urgent_grounds="  ")))
    assert found["urgent_grounds"].rule == "art6.urgent"
    assert found["urgent_grounds"].article == "Art. 6 para 4"


def test_art6_para4_urgent_request_with_grounds_parses(make_document: MakeDocument) -> None:
    content = parse_request(
        make_document(urgent=True, urgent_grounds="An attack on a power grid is being prepared")
    )
    assert content.urgent is True
    assert content.urgent_grounds.startswith("An attack")


def test_grounds_are_optional_for_a_non_urgent_request(make_document: MakeDocument) -> None:
    assert parse_request(make_document(urgent=False, urgent_grounds="")).urgent_grounds == ""


@pytest.mark.parametrize("days", [1, 10, 90, MAX_AGREED_TERM_DAYS])
def test_art7_para2_agreed_term_within_bounds_is_kept(
    make_document: MakeDocument, days: int
) -> None:
    assert parse_request(make_document(agreed_term_days=days)).agreed_term_days == days


@pytest.mark.parametrize("days", [0, -5, MAX_AGREED_TERM_DAYS + 1, 1.5, "30", True, False])
def test_art7_para2_agreed_term_out_of_bounds_or_not_an_int_is_refused(
    make_document: MakeDocument, days: object
) -> None:
    """A bool is not a number of days, though Python counts it as an ``int``."""
    found = by_field(violations_of(make_document(agreed_term_days=days)))
    assert found["agreed_term_days"].rule == "art7.execution_term"
    assert found["agreed_term_days"].article == "Art. 7 para 2"


# --- check_parties: Art. 4 designation, Art. 16/18 treaty in force -------------------

AT = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def with_bodies(content: RequestContent, requesting: str, requested: str) -> RequestContent:
    return replace(content, requesting_body=requesting, requested_body=requested)


def test_check_parties_passes_for_designated_bodies_of_bound_parties(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    assert check_parties(content, registry, treaty, AT) == []


@pytest.mark.parametrize("name", ["requesting_body", "requested_body"])
def test_art4_unknown_body_is_refused(
    content: RequestContent, registry: Registry, treaty: TreatyStatus, name: str
) -> None:
    content = replace(content, **{name: "XYZ-NOBODY"})
    (v,) = check_parties(content, registry, treaty, AT)
    assert (v.field, v.rule, v.article) == (name, "art4.designated", "Art. 4")
    assert "XYZ-NOBODY" in v.message


def test_art4_body_no_longer_designated_is_refused(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    rus = registry.bodies["RUS-MVD"]
    registry.bodies["RUS-MVD"] = replace(rus, designated_until=datetime(2024, 12, 31, tzinfo=UTC))
    (v,) = check_parties(content, registry, treaty, AT)
    assert (v.field, v.rule) == ("requested_body", "art4.designated")


def test_art4_body_designated_until_is_exclusive(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    rus = registry.bodies["RUS-MVD"]
    registry.bodies["RUS-MVD"] = replace(rus, designated_until=AT)
    assert [v.rule for v in check_parties(content, registry, treaty, AT)] == ["art4.designated"]
    before = datetime(2025, 1, 15, 8, 59, 59, tzinfo=UTC)
    assert check_parties(content, registry, treaty, before) == []


def test_art4_body_not_yet_designated_is_refused(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    before_designation = seed.DESIGNATED_FROM.replace(year=2016)
    rules = {v.field: v.rule for v in check_parties(content, registry, treaty, before_designation)}
    assert rules == {"requesting_body": "art4.designated", "requested_body": "art4.designated"}


def test_art4_bodies_of_the_same_party_are_refused(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    content = with_bodies(content, "RUS-MVD", "RUS-FSB")
    (v,) = check_parties(content, registry, treaty, AT)
    assert (v.field, v.rule) == ("requested_body", "art4.distinct_parties")


def test_art16_party_not_yet_bound_is_refused(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    """Seed: Tajikistan notified on 2018-02-09; the bodies were designated in 2017."""
    content = with_bodies(content, "KAZ-MVD", "TJK-MVD")
    at = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
    (v,) = check_parties(content, registry, treaty, at)
    assert (v.field, v.rule, v.article) == ("requested_party", "art16.in_force", "Art. 16")
    assert Party.TAJIKISTAN.name_en in v.message
    assert check_parties(content, registry, treaty, datetime(2018, 2, 9, 0, tzinfo=UTC)) == []


def test_art16_the_day_is_the_requesting_body_local_day(
    content: RequestContent, registry: Registry, treaty: TreatyStatus
) -> None:
    """2018-02-08 19:30 UTC is already 9 February in Almaty (UTC+6 then): Tajikistan is bound."""
    content = with_bodies(content, "KAZ-MVD", "TJK-MVD")
    assert check_parties(content, registry, treaty, datetime(2018, 2, 8, 19, 30, tzinfo=UTC)) == []
    late_evening = datetime(2018, 2, 8, 17, 30, tzinfo=UTC)  # 23:30 in Almaty
    assert [v.rule for v in check_parties(content, registry, treaty, late_evening)] == [
        "art16.in_force"
    ]


def test_art18_party_after_its_withdrawal_is_refused(
    content: RequestContent, registry: Registry
) -> None:
    withdrawal = TreatyNotification(
        Party.RUSSIA,
        NotificationKind.WITHDRAWAL,
        received_on=datetime(2024, 1, 10).date(),
        effective_on=datetime(2024, 7, 10).date(),
    )
    treaty = TreatyStatus.from_notifications([*seed.TREATY_NOTIFICATIONS, withdrawal])
    (v,) = check_parties(content, registry, treaty, AT)
    assert (v.field, v.rule) == ("requested_party", "art16.in_force")
    assert check_parties(content, registry, treaty, datetime(2024, 7, 9, tzinfo=UTC)) == []


def test_art16_both_parties_unbound_gives_two_violations(
    content: RequestContent, registry: Registry
) -> None:
    treaty = TreatyStatus.from_notifications([])
    fields = [v.field for v in check_parties(content, registry, treaty, AT)]
    assert fields == ["requesting_party", "requested_party"]


def test_legal_qualification_of_the_wrong_type_says_so(document: dict[str, Any]) -> None:
    """A list where text is expected is a type error, not a missing field (Art. 3)."""
    document["legal_qualification"] = ["Art. 205"]
    with pytest.raises(ProtocolError) as caught:
        parse_request(document)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("legal_qualification", "input.type")
    ]
