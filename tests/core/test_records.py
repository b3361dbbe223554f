"""Records of Art. 5 para 1: every fault at once, naming field, rule and article; state
secrets refused (Art. 10 para 3); a record survives its JSON form."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from ozara.core.identifiers import IdentifierKind
from ozara.core.records import (
    Confidentiality,
    Purpose,
    RecordKind,
    parse_record,
    state_secret_stamp,
)
from ozara.core.rules import ProtocolError


def person_record() -> dict[str, Any]:
    return {
        "kind": "person",
        "title": "Организатор фишинговых рассылок",
        "summary": "Рассылка писем от имени банков второго уровня.",
        "crime_category": "c",
        "legal_qualification": "ст. 190 ч. 4 УК РК",
        "handling": {
            "purposes": ["investigation", "detection"],
            "confidentiality": "official_use",
            "onward_sharing": False,
        },
        "persons": [
            {
                "kind": "natural",
                "names": ["Кайрат Нурланович Ахметов", "Kairat Nurlanovich Akhmetov"],
                "birth_date": "1991-04-12",
                "citizenship": ["kaz"],
                "documents": [{"kind": "passport", "number": "n 1234-567", "country": "KAZ"}],
                "identifiers": [{"kind": "phone", "value": "8 (701) 123-45-67"}],
                "role": "организатор",
            }
        ],
        "identifiers": [
            {"kind": "ip_range", "value": "203.0.113.9/24"},
            {"kind": "phone", "value": "+77011234567"},
        ],
        "reference": "KZ-2026-114",
    }


def faults(data: object) -> dict[str, str]:
    with pytest.raises(ProtocolError) as caught:
        parse_record(data)
    return {v.field: v.rule for v in caught.value.violations}


def test_a_person_record_parses_into_normal_forms() -> None:
    record = parse_record(person_record())
    assert record.kind is RecordKind.PERSON
    assert record.handling.purposes == {Purpose.INVESTIGATION, Purpose.DETECTION}
    assert record.handling.confidentiality is Confidentiality.OFFICIAL_USE
    person = record.persons[0]
    assert person.birth_date == date(1991, 4, 12)
    assert person.citizenship == ("KAZ",)
    assert person.documents[0].number == "N1234567"
    # The same telephone, written twice differently, is one identifier of the record.
    phones = [i for i in record.all_identifiers() if i.kind is IdentifierKind.PHONE]
    assert [p.value for p in phones] == ["+77011234567"]
    assert record.names() == ("Кайрат Нурланович Ахметов", "Kairat Nurlanovich Akhmetov")


def test_the_json_form_reads_back_the_same() -> None:
    record = parse_record(person_record())
    assert parse_record(copy.deepcopy(record.to_dict())) == record


def test_every_fault_is_reported_at_once() -> None:
    data = person_record()
    data["kind"] = "rumour"
    data["title"] = " "
    data["handling"] = {"purposes": ["gossip"], "confidentiality": "internal"}
    data["persons"][0]["names"] = []
    data["persons"][0]["birth_date"] = "12.04.1991"
    data["identifiers"][0]["value"] = "not-an-address"
    data["colour"] = "red"
    assert faults(data) == {
        "kind": "art5.record_kind",
        "title": "art5.record_required",
        "handling.purposes[0]": "art10.purposes",
        "handling.confidentiality": "art10.confidentiality",
        "persons[0].names": "art5.person",
        "persons[0].birth_date": "input.type",
        "identifiers[0]": "art5.identifier",
        "colour": "input.unknown_field",
    }


def test_a_record_about_a_crime_names_its_category_and_qualification() -> None:
    data = person_record()
    del data["crime_category"], data["legal_qualification"]
    assert faults(data) == {
        "crime_category": "art3.category",
        "legal_qualification": "art3.qualification",
    }


def test_a_law_needs_no_category() -> None:
    data = person_record()
    data.update(kind="law", persons=[], identifiers=[])
    del data["crime_category"], data["legal_qualification"]
    assert parse_record(data).crime_category is None


def test_a_person_record_names_a_person() -> None:
    data = person_record()
    data["persons"] = []
    assert faults(data) == {"persons": "art5.person"}


def test_handling_conditions_are_required() -> None:
    data = person_record()
    del data["handling"]
    assert faults(data) == {"handling": "art10.purposes"}
    data["handling"] = {"purposes": [], "confidentiality": "open"}
    assert faults(data) == {"handling.purposes": "art10.purposes"}


@pytest.mark.parametrize("level", ["secret", "top_secret", "special_importance", "SECRET"])
def test_a_state_secret_level_is_refused_with_art_10_para_3(level: str) -> None:
    data = person_record()
    data["handling"]["confidentiality"] = level
    with pytest.raises(ProtocolError) as caught:
        parse_record(data)
    [problem] = caught.value.violations
    assert (problem.field, problem.rule, problem.article) == (
        "handling.confidentiality",
        "art10.state_secret",
        "Art. 10 para 3",
    )
    assert "18 June 2004" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "СЕКРЕТНО\nЭкз. № 2\nСведения о ...",
        "Гриф: ...\nСовершенно секретно\n",
        "Гриф: совершенно секретно",
        "Гриф – «Секретно»",
        "Документ с грифом ОСОБОЙ ВАЖНОСТИ прилагается",
        "TOP SECRET//NOFORN",
        "Өте құпия",
        "ҚҰПИЯ",
    ],
)
def test_a_state_secret_stamp_in_the_text_is_refused(text: str) -> None:
    data = person_record()
    data["summary"] = text
    assert faults(data) == {"summary": "art10.state_secret"}


@pytest.mark.parametrize(
    "text",
    [
        "The group sold a trade secret of a bank.",
        "Сведения о секретном чате злоумышленников",
        "Құпиялылық деңгейі: қызмет бабында",
        "Закон о государственных секретах (проект)",
    ],
)
def test_words_about_secrets_are_not_stamps(text: str) -> None:
    assert state_secret_stamp(text) is None


def test_a_nul_character_is_not_text() -> None:
    data = person_record()
    data["title"] = "Организатор\x00"
    assert faults(data) == {"title": "input.type"}
