"""STIX 2.1 export and import of records: the round trip keeps identifiers, names in
their scripts and the handling of Art. 10; bundles shaped like MISP's and OpenCTI's
exports import; what maps to nothing is listed; a state secret is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import stix2

from ozara.core.identifiers import domain
from ozara.core.records import parse_record
from ozara.core.rules import ProtocolError
from ozara.interop.stix import TLP2_IDS, bundle_json, record_to_stix
from ozara.interop.stix_import import (
    ImportDefaults,
    StixFormatError,
    pattern_identifiers,
    records_from_stix,
)

NOW = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
OFFICER = ImportDefaults(
    purposes=("detection", "investigation"),
    confidentiality="open",
    onward_sharing=False,
    crime_category="c",
    legal_qualification="УК РК ст. 190",
)


def record(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "person",
        "title": "Оператор фишинговых страниц",
        "summary": "Страницы под казахстанские банки; средства выводятся за рубеж.",
        "handling": {
            "purposes": ["investigation", "detection"],
            "confidentiality": "official_use",
            "onward_sharing": False,
        },
        "crime_category": "c",
        "legal_qualification": "УК РК ст. 190 ч. 4",
        "persons": [
            {
                "kind": "natural",
                "names": ["Иванов Иван Иванович", "Ivanov Ivan", "Иванов Иван Иванұлы"],
                "birth_date": "1990-04-01",
                "citizenship": ["KAZ"],
                "documents": [{"kind": "passport", "number": "N12345678", "country": "KAZ"}],
                "identifiers": [
                    {"kind": "phone", "value": "+77011234567"},
                    {"kind": "handle", "value": "telegram:@ivan_phish"},
                ],
                "role": "suspect",
            },
            {"kind": "legal", "names": ["ТОО «Ромашка»"], "role": "front company"},
        ],
        "identifiers": [
            {"kind": "ip", "value": "203.0.113.7"},
            {"kind": "ip_range", "value": "198.51.100.0/24"},
            {"kind": "ip", "value": "2001:db8::1"},
            {"kind": "domain", "value": "каспи-бонус.рф"},
            {"kind": "url", "value": "https://kaspi-bonus.example.kz/login?a='1'"},
            {"kind": "email", "value": "support@kaspi-bonus.example.kz"},
            {"kind": "wallet", "value": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
        ],
        "reference": "ЕРДР № 221500031000123",
    }
    doc.update(changes)
    return doc


def export(doc: dict[str, Any]) -> dict[str, Any]:
    bundle = record_to_stix(doc, now=NOW, record_id="rec-1", source="kaz-mvd")
    parsed: dict[str, Any] = json.loads(bundle_json(bundle))
    return parsed


def one(bundle: dict[str, Any], defaults: ImportDefaults = OFFICER) -> dict[str, Any]:
    found = records_from_stix(bundle, defaults)
    assert len(found.records) == 1, found
    return found.records[0].document


def test_round_trip_keeps_the_record_whole() -> None:
    original = parse_record(record())
    back = parse_record(one(export(record()), ImportDefaults()))
    assert back == original
    assert back.persons[0].names == ("Иванов Иван Иванович", "Ivanov Ivan", "Иванов Иван Иванұлы")
    assert back.persons[1].names == ("ТОО «Ромашка»",)
    assert back.persons[0].identifiers == original.persons[0].identifiers


@pytest.mark.parametrize(
    ("level", "onward", "tlp"),
    [
        ("open", True, "clear"),
        ("open", False, "green"),
        ("official_use", True, "amber"),
        ("official_use", False, "amber+strict"),
        ("confidential", True, "red"),
        ("confidential", False, "red"),
    ],
)
def test_handling_travels_as_tlp_and_comes_back_exactly(level: str, onward: bool, tlp: str) -> None:
    handling = {"purposes": ["training"], "confidentiality": level, "onward_sharing": onward}
    bundle = export(record(handling=handling))
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert TLP2_IDS[tlp] in report["object_marking_refs"]
    assert report["x_ozara_handling"] == handling
    statement = next(o for o in bundle["objects"] if o.get("definition_type") == "statement")
    assert "training" in statement["definition"]["statement"]
    assert one(bundle, ImportDefaults())["handling"] == handling


def test_the_bundle_is_valid_stix_2_1() -> None:
    text = bundle_json(record_to_stix(record(), now=NOW, record_id="rec-1", source="kaz-mvd"))
    bundle = stix2.parse(text, allow_custom=True)
    types = [o["type"] for o in bundle.objects]
    for kind in (
        "report", "identity", "indicator", "relationship", "ipv4-addr", "ipv6-addr",
        "domain-name", "url", "email-addr", "user-account", "phone-number",
        "cryptocurrency-wallet", "marking-definition",
    ):  # fmt: skip
        assert kind in types, kind
    patterns = {o["pattern"] for o in bundle.objects if o["type"] == "indicator"}
    assert "[ipv4-addr:value = '198.51.100.0/24']" in patterns
    assert f"[domain-name:value = '{domain('каспи-бонус.рф')}']" in patterns
    assert "[phone-number:value = '+77011234567']" in patterns
    assert (
        "[user-account:account_type = 'telegram' AND user-account:account_login = 'ivan_phish']"
        in patterns
    )
    assert "[url:value = 'https://kaspi-bonus.example.kz/login?a=\\'1\\'']" in patterns
    # Exported twice, the same record has the same ids: the other tool updates, not copies.
    again = json.loads(bundle_json(record_to_stix(record(), now=NOW, record_id="rec-1")))
    assert {o["id"] for o in again["objects"] if o["type"] != "identity"} <= {
        o["id"] for o in bundle.objects
    }


def misp_event() -> dict[str, Any]:
    """The shape of MISP's STIX 2.1 export of one event (misp-stix)."""
    org = "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f"
    amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    common = {"spec_version": "2.1", "created": "2026-01-20T10:00:00.000Z",
              "modified": "2026-01-20T10:00:00.000Z", "created_by_ref": org,
              "object_marking_refs": [amber]}  # fmt: skip
    ind = [
        ("4f2d…ip", "[ipv4-addr:value = '185.203.116.52']"),
        ("dom", "[domain-name:value = 'halyk-bonus.top']"),
        ("mail", "[email-message:from_ref.value = 'no-reply@halyk-bonus.top']"),
        ("hash", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"),
        ("c2", "[network-traffic:dst_ref.type = 'ipv4-addr' AND "
               "network-traffic:dst_ref.value = '45.9.148.3']"),
        ("tg", "[user-account:account_type = 'telegram' AND "
               "user-account:account_login = 'halyk_support_bot']"),
    ]  # fmt: skip
    indicators = [
        {"type": "indicator", "id": f"indicator--0000000{n}-1111-4111-8111-111111111111",
         "pattern": p, "pattern_type": "stix", "pattern_version": "2.1",
         "valid_from": "2026-01-20T10:00:00Z", "labels": ["misp:type=\"ip-dst\""], **common}
        for n, (_, p) in enumerate(ind)
    ]  # fmt: skip
    sco = {"type": "url", "spec_version": "2.1",
           "id": "url--a1b2c3d4-0000-5000-8000-000000000001",
           "value": "http://halyk-bonus.top/kz/login.php"}  # fmt: skip
    observed = {"type": "observed-data",
                "id": "observed-data--1e5e0a2b-3d5b-4c3d-9f0b-2a1b3c4d5e6f",
                "first_observed": "2026-01-19T00:00:00Z", "last_observed": "2026-01-19T00:00:00Z",
                "number_observed": 1, "object_refs": [sco["id"]], **common}  # fmt: skip
    malware = {"type": "malware", "id": "malware--7a1d3f2e-9b8c-4d5e-a6f7-1b2c3d4e5f60",
               "name": "Mamont", "is_family": True, **common}  # fmt: skip
    report = {"type": "report", "id": "report--5d2c9a1e-8f3b-4e6a-9c1d-2b3a4c5d6e7f",
              "name": "Фишинг под Halyk Bank, январь 2026", "published": "2026-01-20T10:00:00Z",
              "report_types": ["misc"], "labels": ["Threat-Report", "misp:tool=\"MISP-STIX\""],
              "object_refs": [i["id"] for i in indicators] + [observed["id"], malware["id"]],
              **common}  # fmt: skip
    return {
        "type": "bundle",
        "id": "bundle--8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
        "objects": [
            {"type": "identity", "spec_version": "2.1", "id": org,
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "name": "CERT-KZ", "identity_class": "organization"},
            {"type": "marking-definition", "spec_version": "2.1", "id": amber,
             "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
             "name": "TLP:AMBER", "definition": {"tlp": "amber"}},
            report, *indicators, observed, sco, malware,
        ],
    }  # fmt: skip


def test_a_misp_event_becomes_one_record_with_its_indicators() -> None:
    found = records_from_stix(misp_event(), OFFICER)
    assert len(found.records) == 1
    doc = found.records[0].document
    content = parse_record(doc)
    assert content.title == "Фишинг под Halyk Bank, январь 2026"
    assert content.kind.value == "modus_operandi"
    assert {(i.kind.value, i.value) for i in content.identifiers} == {
        ("ip", "185.203.116.52"),
        ("domain", "halyk-bonus.top"),
        ("email", "no-reply@halyk-bonus.top"),
        ("ip", "45.9.148.3"),
        ("handle", "telegram:halyk_support_bot"),
        ("url", "http://halyk-bonus.top/kz/login.php"),
    }
    # TLP:AMBER (TLP 1.0, as MISP marks) is stricter than the officer's "open".
    assert content.handling.confidentiality.value == "official_use"
    assert not content.handling.onward_sharing
    assert sorted(p.value for p in content.handling.purposes) == ["detection", "investigation"]
    assert content.reference == "report--5d2c9a1e-8f3b-4e6a-9c1d-2b3a4c5d6e7f"
    unmapped = {u.object_id: u.reason for u in found.unmapped}
    assert set(unmapped) == {
        "indicator--00000003-1111-4111-8111-111111111111",  # a file hash
        "malware--7a1d3f2e-9b8c-4d5e-a6f7-1b2c3d4e5f60",
        "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f",  # the producer
    }
    assert "file:hashes.MD5" in unmapped["indicator--00000003-1111-4111-8111-111111111111"]


def opencti_objects() -> dict[str, Any]:
    """Loose objects as OpenCTI exports them: its own TLP and observable types."""
    red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    m = {"object_marking_refs": [red]}
    person = "identity--3b0c1a1e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    phone = "phone-number--6a3b8f52-3d0a-5d6b-9a7e-0b1c2d3e4f50"
    return {
        "type": "bundle",
        "id": "bundle--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "objects": [
            {"type": "marking-definition", "spec_version": "2.1", "id": red,
             "created": "2022-10-01T00:00:00.000Z", "definition_type": "TLP",
             "name": "TLP:RED", "definition": {"TLP": "TLP:RED"}},
            {"type": "hostname", "spec_version": "2.1",
             "id": "hostname--0c1d2e3f-4a5b-5c6d-8e7f-9a0b1c2d3e4f", "value": "pay-qr.kz", **m},
            {"type": "cryptocurrency-wallet", "spec_version": "2.1",
             "id": "cryptocurrency-wallet--1d2e3f4a-5b6c-5d7e-8f9a-0b1c2d3e4f5a",
             "value": "TQ5NLzVHpVkDmqKkrXvXjHHE5ZAXpd1P1v", **m},
            {"type": "phone-number", "spec_version": "2.1", "id": phone,
             "value": "+996 555 123 456", **m},
            {"type": "identity", "spec_version": "2.1", "id": person,
             "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
             "name": "Асанов Бакыт", "identity_class": "individual", **m},
            {"type": "relationship", "spec_version": "2.1",
             "id": "relationship--2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
             "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
             "relationship_type": "related-to", "source_ref": person, "target_ref": phone},
            {"type": "malware", "spec_version": "2.1",
             "id": "malware--3f4a5b6c-7d8e-4f9a-8b1c-2d3e4f5a6b7c",
             "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
             "name": "SpyNote", "is_family": True},
            {"type": "indicator", "spec_version": "2.1",
             "id": "indicator--4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d",
             "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
             "pattern": "rule spynote { condition: true }", "pattern_type": "yara",
             "valid_from": "2026-01-02T00:00:00Z"},
        ],
    }  # fmt: skip


def test_loose_objects_become_one_record_of_the_officers_kind() -> None:
    found = records_from_stix(opencti_objects(), OFFICER)
    content = parse_record(found.records[0].document)
    assert found.records[0].source == "bundle--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    assert content.kind.value == "modus_operandi"
    assert {(i.kind.value, i.value) for i in content.identifiers} == {
        ("domain", "pay-qr.kz"),
        ("wallet", "TQ5NLzVHpVkDmqKkrXvXjHHE5ZAXpd1P1v"),
    }
    assert content.persons[0].names == ("Асанов Бакыт",)
    assert [i.value for i in content.persons[0].identifiers] == ["+996555123456"]
    # TLP:RED in OpenCTI's form: confidential, never passed on.
    assert content.handling.confidentiality.value == "confidential"
    assert not content.handling.onward_sharing
    reasons = {u.object_id.partition("--")[0]: u.reason for u in found.unmapped}
    assert set(reasons) == {"malware", "indicator"}
    assert "yara" in reasons["indicator"]


def test_a_bundle_without_handling_needs_the_officers_purposes() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_record(one(misp_event(), ImportDefaults(crime_category="c",
                                                      legal_qualification="ст. 190")))  # fmt: skip
    assert [v.rule for v in exc.value.violations] == ["art10.purposes"]


@pytest.mark.parametrize(
    ("marking", "level"),
    [
        ({"definition_type": "statement", "definition": {"statement": "СЕКРЕТНО"}}, "secret"),
        ({"definition_type": "statement",
          "definition": {"statement": "Гриф «Совершенно секретно»"}}, "top_secret"),
        ({"name": "TOP SECRET", "definition_type": "x-classification",
          "definition": {"level": "x"}}, "top_secret"),
    ],
)  # fmt: skip
def test_a_state_secret_marking_is_refused(marking: dict[str, Any], level: str) -> None:
    bundle = export(record())
    secret = {"type": "marking-definition", "spec_version": "2.1",
              "id": "marking-definition--9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
              "created": "2026-01-01T00:00:00.000Z", **marking}  # fmt: skip
    # On one property of one indicator only: the record is still refused.
    indicator = next(o for o in bundle["objects"] if o["type"] == "indicator")
    indicator["granular_markings"] = [{"marking_ref": secret["id"], "selectors": ["name"]}]
    bundle["objects"].insert(0, secret)
    doc = one(bundle)
    assert doc["handling"]["confidentiality"] == level
    with pytest.raises(ProtocolError) as exc:
        parse_record(doc)
    assert [(v.field, v.rule, v.article) for v in exc.value.violations] == [
        ("handling.confidentiality", "art10.state_secret", "Art. 10 para 3")
    ]


def test_stamped_text_is_refused() -> None:
    bundle = misp_event()
    bundle["objects"][2]["description"] = "СОВЕРШЕННО СЕКРЕТНО\nСведения об операции"
    with pytest.raises(ProtocolError) as exc:
        parse_record(one(bundle))
    assert [(v.field, v.rule) for v in exc.value.violations] == [("summary", "art10.state_secret")]


def test_a_stricter_tlp_tightens_the_bundles_own_handling() -> None:
    bundle = export(record())  # official_use, no onward: AMBER+STRICT
    for obj in bundle["objects"]:
        if "object_marking_refs" in obj:
            obj["object_marking_refs"] = [
                TLP2_IDS["red"] if ref == TLP2_IDS["amber+strict"] else ref
                for ref in obj["object_marking_refs"]
            ]
    assert one(bundle)["handling"]["confidentiality"] == "confidential"


def test_invalid_objects_are_reported_and_the_rest_imported() -> None:
    bundle = misp_event()
    bundle["objects"][3]["pattern"] = "[ipv4-addr:value = "
    bundle["objects"].append({"no": "id"})
    found = records_from_stix(bundle, OFFICER)
    assert len(found.records) == 1
    reasons = {u.object_id: u.reason for u in found.unmapped}
    assert reasons["indicator--00000000-1111-4111-8111-111111111111"].startswith("invalid")
    assert "objects[" in " ".join(reasons)


@pytest.mark.parametrize(
    "data", [b"not json", b"[1, 2]", b'{"type": "report"}', b'{"type": "bundle", "objects": 1}']
)
def test_a_file_that_is_no_bundle_is_an_error(data: bytes) -> None:
    with pytest.raises(StixFormatError):
        records_from_stix(data, OFFICER)


def test_pattern_comparisons() -> None:
    found, left = pattern_identifiers(
        "[url:value = 'http://a.kz/\\'x'] OR [email-addr:value LIKE '%@a.kz'] "
        "OR [user-account:account_login = 'x']"
    )
    assert found == [("url", "http://a.kz/'x")]
    assert left == ["email-addr:value LIKE", "user-account without account_type (the service)"]
    with pytest.raises(ValueError, match="not a STIX pattern"):
        pattern_identifiers("[ipv4-addr:value = ")
