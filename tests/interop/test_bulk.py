"""Bulk import: CSV rows and STIX records, one transaction each, every rejected row
reported with its row, column, rule and article; progress; nothing half-stored."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.rules import ProtocolError, violation
from ozara.interop import bulk
from ozara.interop.stix_import import ImportDefaults
from ozara.services import records as svc
from ozara.store import tables as t
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.interop.test_stix import OFFICER, misp_event

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "records-template.csv"
HEADER = "kind;title;summary;crime_category;legal_qualification;purposes;confidentiality;"
HEADER += "onward_sharing;email;ip;person_names;person_documents"


class Store:
    """A ``create`` callback that keeps what it is given."""

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def __call__(self, document: dict[str, Any]) -> str:
        self.documents.append(document)
        return f"rec-{len(self.documents)}"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


GOOD = (
    "person;Оператор;Звонит от имени банка;c;УК РК ст. 190;investigation|detection;"
    'official_use;нет;"a@example.kz\nB@Example.kz";203.0.113.7;'
    '"Иванов Иван\nIvanov Ivan";passport:KAZ:N 1234-56'
)


def test_good_rows_with_bom_and_semicolons() -> None:
    store, calls = Store(), []
    data = "\ufeff".encode() + csv_text(GOOD, GOOD.replace("Оператор", "Второй")).encode()
    report = bulk.import_csv(data, store, progress=lambda d, n: calls.append((d, n)))
    assert [a.record_id for a in report.accepted] == ["rec-1", "rec-2"]
    assert [a.row for a in report.accepted] == [2, 3]
    assert not report.rejected
    assert calls == [(1, 2), (2, 2)]
    doc = store.documents[0]
    assert doc["identifiers"] == [
        {"kind": "email", "value": "a@example.kz"},
        {"kind": "email", "value": "B@Example.kz"},
        {"kind": "ip", "value": "203.0.113.7"},
    ]
    assert doc["persons"][0]["names"] == ["Иванов Иван", "Ivanov Ivan"]
    assert doc["persons"][0]["documents"] == [
        {"kind": "passport", "country": "KAZ", "number": "N 1234-56"}
    ]
    assert doc["handling"] == {
        "purposes": ["investigation", "detection"],
        "confidentiality": "official_use",
        "onward_sharing": False,
    }


def test_bad_rows_are_reported_by_row_column_rule_and_article() -> None:
    store = Store()
    bad_ip = GOOD.replace("203.0.113.7", "203.0.113.999")
    no_summary = GOOD.replace("Звонит от имени банка", "")
    secret = GOOD.replace("Оператор", "СЕКРЕТНО").replace(";нет;", ";может быть;")
    bad_purpose = GOOD.replace("investigation|detection", "revenge")
    rows = [GOOD, bad_ip, "", no_summary, secret, bad_purpose]
    report = bulk.import_csv(csv_text(*rows), store)
    assert [a.row for a in report.accepted] == [2]
    assert len(store.documents) == 1  # nothing else reached the store
    got = {(r.row, r.field, r.rule, r.article) for r in report.rejected}
    assert got == {
        (3, "ip", "art5.identifier", "Art. 5 para 1"),
        (5, "summary", "art5.record_required", "Art. 5 para 1"),
        (6, "onward_sharing", "input.type", "—"),
        (6, "title", "art10.state_secret", "Art. 10 para 3"),
        (7, "purposes", "art10.purposes", "Art. 10 para 2"),
    }
    assert report.rejected_rows == [3, 5, 6, 7]
    assert report.total == 5  # the blank row is no record
    message = next(r.message for r in report.rejected if r.row == 3)
    assert "IPv4" in message


def test_refusal_by_the_store_is_a_rejected_row_and_a_crash_stops_with_a_report() -> None:
    def refuse(document: dict[str, Any]) -> str:
        raise ProtocolError([violation("handling", "art10.confidentiality", "by the store")])

    report = bulk.import_csv(csv_text(GOOD), refuse)
    assert not report.accepted
    assert [(r.row, r.field, r.rule) for r in report.rejected] == [
        (2, "purposes", "art10.confidentiality")
    ]
    store = Store()

    def broken(document: dict[str, Any]) -> str:
        if store.documents:
            raise RuntimeError("disk full")
        return store(document)

    with pytest.raises(bulk.ImportInterrupted) as exc:
        bulk.import_csv(csv_text(GOOD, GOOD), broken)
    assert [a.row for a in exc.value.report.accepted] == [2]
    assert isinstance(exc.value.__cause__, RuntimeError)


def test_defaults_fill_empty_handling_cells_only() -> None:
    row = GOOD.replace("investigation|detection;official_use;нет", ";;")
    defaults = ImportDefaults(
        purposes=("analysis",), confidentiality="confidential", onward_sharing=True
    )
    store = Store()
    bulk.import_csv(csv_text(row, GOOD), store, defaults=defaults)
    assert store.documents[0]["handling"] == {
        "purposes": ["analysis"],
        "confidentiality": "confidential",
        "onward_sharing": True,
    }
    assert store.documents[1]["handling"]["purposes"] == ["investigation", "detection"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"title;colour\r\nx;y\r\n", "colour"),
        (b"kind;summary\r\nx;y\r\n", "'title'"),
        ("title\r\nПривет\r\n".encode("cp1251"), "UTF-8"),
    ],
)
def test_an_unusable_file_is_an_error(data: bytes, needle: str) -> None:
    with pytest.raises(bulk.CsvFormatError, match=needle):
        bulk.import_csv(data, Store())


def test_the_template_imports_cleanly() -> None:
    store = Store()
    report = bulk.run_import(TEMPLATE.read_bytes(), TEMPLATE.name, store)
    assert not report.rejected, report.rejected
    assert len(report.accepted) == 3
    person = store.documents[1]["persons"][0]
    assert person["names"] == ["Асанов Бакыт Асанович", "Asanov Bakyt"]


def test_a_stix_bundle_through_the_same_engine() -> None:
    store, calls = Store(), []
    data = json.dumps(misp_event()).encode()
    assert bulk.detect_format("event.json", data) == "stix"
    assert bulk.detect_format("export", data) == "stix"
    report = bulk.run_import(
        data, "event.json", store, defaults=OFFICER, progress=lambda d, n: calls.append((d, n))
    )
    assert [a.source for a in report.accepted] == ["report--5d2c9a1e-8f3b-4e6a-9c1d-2b3a4c5d6e7f"]
    assert calls == [(1, 1)]
    assert len(report.unmapped) == 3
    out = io.StringIO()
    bulk.write_rejected(report, out)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == ["row", "source", "field", "rule", "article", "message"]
    assert {line[3] for line in lines[1:]} == {"stix.unmapped"}


def test_a_bad_identifier_names_its_stix_object() -> None:
    event = misp_event()
    event["objects"][3]["pattern"] = "[domain-name:value = 'not a domain']"
    report = bulk.import_stix(event, Store(), defaults=OFFICER)
    assert [(r.field, r.rule) for r in report.rejected] == [
        (
            "identifiers[0] (indicator--00000000-1111-4111-8111-111111111111)",
            "art5.identifier",
        )
    ]
    assert report.rejected[0].source == "report--5d2c9a1e-8f3b-4e6a-9c1d-2b3a4c5d6e7f"


def test_the_report_file_lists_each_rejection() -> None:
    report = bulk.import_csv(csv_text(GOOD.replace("203.0.113.7", "x")), Store())
    out = io.StringIO()
    bulk.write_rejected(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == [
        {
            "row": "2",
            "source": "row 2",
            "field": "ip",
            "rule": "art5.identifier",
            "article": "Art. 5 para 1",
            "message": rows[0]["message"],
        }
    ]


def test_into_a_real_store_a_rejected_row_leaves_nothing(node: Engine, clock: Clock) -> None:
    def create(document: dict[str, Any]) -> str:
        with SqlUnitOfWork(node) as uow:
            return svc.create_record(uow, document, "kaz-mvd.officer", clock.now)

    report = bulk.import_csv(csv_text(GOOD, GOOD.replace("203.0.113.7", "x")), create)
    assert len(report.accepted) == 1 and report.rejected_rows == [3]
    with node.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.records)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(t.record_persons)).scalar_one() == 1


def test_an_empty_kind_is_a_fault_unless_the_officer_gives_one() -> None:
    row = GOOD.replace("person;", ";", 1)
    report = bulk.import_csv(csv_text(row), Store())
    assert [(r.field, r.rule) for r in report.rejected] == [("kind", "art5.record_kind")]
    store = Store()
    bulk.import_csv(csv_text(row), store, defaults=ImportDefaults(kind="person"))
    assert store.documents[0]["kind"] == "person"
