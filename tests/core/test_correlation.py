"""What requests and records offer to correlation (issue 8), and the identity of a link."""

from __future__ import annotations

from datetime import date

import pytest

from ozara.core.correlation import (
    DOMAIN_PARENT,
    FILE,
    Evidence,
    MatchKind,
    Subject,
    SubjectType,
    birth_dates_agree,
    identifiers_in_text,
    link_key,
    merge,
    oriented,
    record_extract,
    request_extract,
    supernets,
    usable_range,
)
from ozara.core.identifiers import IdentifierKind
from ozara.core.records import parse_record
from ozara.core.requests import parse_request
from tests.services.test_request_services import document as request_document
from tests.store.test_records_repository import record_document

A = Subject(SubjectType.RECORD, "a")
B = Subject(SubjectType.REQUEST, "b")


def found(text: str) -> set[tuple[str, str]]:
    return {(i.kind.value, i.value) for i in identifiers_in_text(text)}


def test_identifiers_are_found_in_free_text_and_normalized() -> None:
    text = (
        "Письма с Ivan.Petrov@Mail.RU; звонки с +7 (701) 123-45-67 (00374 10 123456 не берём). "
        "Вход с 203.0.113.5 и из сети 198.51.100.7/24, IPv6 2001:DB8::1. "
        "Страница https://Login.Example.KZ/bank?id=1, домен phish-bank.kz, "
        "кошелёк 0x52908400098527886E0F7030069857D2E4169EE7, "
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq, "
        "аккаунт Telegram:@Fast_Cash."
    )
    assert found(text) == {
        ("email", "ivan.petrov@mail.ru"),
        ("phone", "+77011234567"),
        ("ip", "203.0.113.5"),
        ("ip_range", "198.51.100.0/24"),
        ("ip", "2001:db8::1"),
        ("url", "https://login.example.kz/bank?id=1"),
        ("domain", "phish-bank.kz"),
        ("wallet", "0x52908400098527886e0f7030069857d2e4169ee7"),
        ("wallet", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ("handle", "telegram:fast_cash"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "Статья 273 УК РФ, ч. 2; т.е. в г.Алматы, см. п.3.1",
        "Файл отчет.pdf и таблица data.xlsx, версия 1.2.3.4.5",
        "Встреча в 10:30:45, тел. 8 701 123 45 67 (без кода страны не берём)",
        "Номер дела 2026-0117, сумма 1 500 000 тенге, St.Petersburg",
        "A hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_running_text_without_identifiers_gives_none(text: str) -> None:
    assert found(text) == set()


def test_a_request_offers_its_text_identifiers_and_files_never_names() -> None:
    sha = "ab" * 32
    content = parse_request(
        request_document(
            substance="Кайрат Ахметов писал с a@example.kz",
            other_information="См. https://mail.evil.example.kz/x",
            attachments=[{"filename": "x.pdf", "size": 3, "sha256": sha}],
        )
    )
    extract = request_extract(content)
    assert extract.persons == ()
    terms = {(t.kind, t.value, t.field) for t in extract.terms}
    assert terms == {
        ("email", "a@example.kz", "substance"),
        ("url", "https://mail.evil.example.kz/x", "other_information"),
        ("domain", "mail.evil.example.kz", "other_information"),
        (DOMAIN_PARENT, "evil.example.kz", "other_information"),
        (DOMAIN_PARENT, "example.kz", "other_information"),
        (FILE, sha, "attachments[0]"),
    }


def test_a_record_offers_its_persons_and_every_identifier_with_its_field() -> None:
    extract = record_extract(parse_record(record_document()))
    [person] = extract.persons
    assert person.names == ("Иванов Иван", "Ivanov Ivan")
    assert person.birth_date == date(1990, 4, 1) and person.field == "persons[0].names"
    assert {(t.kind, t.value, t.field) for t in extract.terms} == {
        ("ip", "203.0.113.7", "identifiers"),
        ("ip_range", "198.51.100.0/24", "identifiers"),
        ("email", "ivan@example.kz", "persons[0].identifiers"),
    }


def test_common_infrastructure_is_left_out_but_what_is_specific_on_it_is_kept() -> None:
    doc = record_document(
        identifiers=[
            {"kind": "url", "value": "https://t.me/somechannel"},
            {"kind": "url", "value": "https://www.instagram.com/"},
            {"kind": "url", "value": "https://login.phish.github.io/x"},
            {"kind": "ip", "value": "8.8.8.8"},
            {"kind": "domain", "value": "gmail.com"},
            {"kind": "handle", "value": "telegram:@somechannel"},
        ],
    )
    doc["persons"][0]["identifiers"] = [{"kind": "email", "value": "Ivan@Gmail.com"}]
    assert {(t.kind, t.value) for t in record_extract(parse_record(doc)).terms} == {
        ("url", "https://t.me/somechannel"),
        ("url", "https://login.phish.github.io/x"),
        ("domain", "login.phish.github.io"),
        (DOMAIN_PARENT, "phish.github.io"),  # github.io itself is no term
        ("handle", "telegram:somechannel"),
        ("email", "ivan@gmail.com"),
    }
    text = "Канал https://t.me/somechannel, резолвер 1.1.1.1, почта drop@mail.ru, www.vk.com"
    assert {(t.kind, t.value) for t in request_extract(
        parse_request(request_document(substance=text))
    ).terms} == {("url", "https://t.me/somechannel"), ("email", "drop@mail.ru")}  # fmt: skip


def test_a_link_is_one_unordered_pair_per_kind() -> None:
    key = link_key(B, A, MatchKind.IDENTIFIER)
    assert key == link_key(A, B, MatchKind.IDENTIFIER)
    assert (key.a, key.b) == (A, B)
    assert link_key(A, B, MatchKind.PERSON) != key
    with pytest.raises(ValueError, match="itself"):
        link_key(A, A, MatchKind.PERSON)
    assert Subject.parse("request:b") == B and str(A) == "record:a"
    with pytest.raises(ValueError, match="case"):
        Subject.parse("case:1")


def test_evidence_is_turned_to_the_links_order_and_merged_once() -> None:
    found_from_b = Evidence(MatchKind.IN_RANGE, "substance", "10.0.0.1", "identifiers",
                            "10.0.0.0/8", 0.9)  # fmt: skip
    key = link_key(B, A, MatchKind.IN_RANGE)
    turned = oriented(key, B, found_from_b)
    assert (turned.field_a, turned.value_a, turned.value_b) == (
        "identifiers", "10.0.0.0/8", "10.0.0.1",
    )  # fmt: skip
    assert Evidence.from_dict(turned.to_dict()) == turned
    evidence, score = merge([turned, turned, turned.swapped().swapped()])
    assert evidence == (turned,) and score == 0.9


def test_supernets_give_every_range_that_can_hold_an_address() -> None:
    nets = supernets("203.0.113.5")
    assert nets[0] == "203.0.0.0/8" and nets[-1] == "203.0.113.5/32" and len(nets) == 25
    assert "203.0.113.0/24" in nets
    assert supernets("198.51.100.0/24")[-1] == "198.51.100.0/23"
    assert usable_range("10.0.0.0/8") and not usable_range("0.0.0.0/0")
    assert len(supernets("2001:db8::1")) == 97


def test_known_different_birth_dates_separate_namesakes() -> None:
    assert birth_dates_agree(None, date(1990, 1, 1))
    assert not birth_dates_agree(date(1990, 1, 1), date(1991, 1, 1))


def test_an_identifier_kind_is_a_term_kind() -> None:
    assert {k.value for k in IdentifierKind} >= {"email", "ip", "domain"}
