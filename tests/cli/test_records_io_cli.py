"""``ozara records import`` / ``export`` (ozara/cli/records_io.py), run through the CLI's
entry point so the exit statuses are the operator's: 0 all stored, 1 a row rejected (the
others stored) or a read refused, 2 an unusable file or option, 3 access denied,
4 not found."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stix2
import typer

from ozara.cli import main as cli_main
from ozara.cli import records_io
from ozara.core.parties import Party
from ozara.services import records as svc
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.interop.test_stix import misp_event

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "records-template.csv"
GROUP = "records-io-test"
KAZ, RUS = "kaz-mvd.officer", "rus-mvd.officer"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    url = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    engine = db.make_engine(url)
    init_node(engine, clock.now, demo_officers())
    engine.dispose()
    # Registered here until ozara/cli/main.py adds the group itself.
    info = typer.models.TyperInfo(records_io.app, name=GROUP)
    cli_main.app.registered_groups.append(info)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = cli_main.main([GROUP, *args, "--database", url])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return code, captured.out, captured.err

    try:
        yield invoke
    finally:
        cli_main.app.registered_groups.remove(info)


def test_import_the_template_then_export_a_record(run: Run, tmp_path: Path) -> None:
    code, out, err = run("import", str(TEMPLATE), "--as", KAZ)
    assert code == 0, err
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert len(ids) == 3 and "Imported 3 of 3" in err
    bundle_file = tmp_path / "bundle.json"
    code, out, err = run(
        "export", ids[1], "--purpose", "investigation", "--as", KAZ, "--out", str(bundle_file)
    )
    assert code == 0, err
    bundle = stix2.parse(bundle_file.read_text(encoding="utf-8"), allow_custom=True)
    identity = next(o for o in bundle.objects if o["type"] == "identity" and "x_ozara_person" in o)
    assert identity["name"] == "Асанов Бакыт Асанович"
    # The bundle imports again as the same record.
    code, out, err = run("import", str(bundle_file), "--as", KAZ, "--json")
    assert code == 0, err
    assert json.loads(out)["accepted"][0]["source"].startswith("report--")


def test_export_is_a_checked_and_audited_read(run: Run, tmp_path: Path) -> None:
    code, out, err = run("import", str(TEMPLATE), "--as", KAZ)
    record_id = out.splitlines()[1].split("\t")[0]  # permitted purpose: investigation
    engine = db.make_engine(f"sqlite:///{tmp_path / 'node.sqlite3'}")
    with SqlUnitOfWork(engine) as uow:
        svc.share_record(uow, record_id, [Party.RUSSIA], KAZ, datetime.now(UTC))
    code, out, err = run("export", record_id, "--purpose", "training", "--as", RUS)
    assert code == 1 and "art10.purpose" in err and not out
    code, out, err = run("export", record_id, "--purpose", "investigation", "--as", RUS)
    assert code == 0, err
    assert json.loads(out)["type"] == "bundle"
    with SqlUnitOfWork(engine) as uow:
        actions = [e["action"] for e in uow.audit.for_object(record_id)]
    engine.dispose()
    assert actions.count("record:read_denied") == 1 and actions.count("record:read") == 1


def test_rejected_rows_exit_1_and_go_to_the_report(run: Run, tmp_path: Path) -> None:
    lines = TEMPLATE.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    source = tmp_path / "records.csv"
    source.write_text("".join(lines).replace("203.0.113.7", "203.0.113.999"), encoding="utf-8")
    report = tmp_path / "rejected.csv"
    code, _, err = run("import", str(source), "--as", KAZ, "--report", str(report))
    assert code == 1
    assert "Imported 2 of 3 record(s); 1 rejected" in err
    assert "row 2 (row 2) ip:" in err and "Art. 5 para 1" in err
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert [(r["row"], r["field"], r["article"]) for r in rows] == [("2", "ip", "Art. 5 para 1")]


def test_a_stix_bundle_with_the_officers_handling(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "event.json"
    source.write_text(json.dumps(misp_event(), ensure_ascii=False), encoding="utf-8")
    code, _, err = run("import", str(source), "--as", KAZ)
    assert code == 1 and "art10.purposes" in err  # no handling in the bundle, none given
    code, _, err = run(
        "import", str(source), "--as", KAZ, "--purpose", "detection", "--purpose", "analysis",
        "--crime-category", "c", "--qualification", "УК РК ст. 190",
    )  # fmt: skip
    assert code == 0, err
    assert "3 STIX object(s) not mapped" in err and "file:hashes.MD5" in err


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("import", "missing.csv", "--as", KAZ), 2, "no such file"),
        (("import", "{template}", "--as", KAZ, "--purpose", "revenge"), 2, "--purpose"),
        (("import", "{template}", "--as", KAZ, "--format", "xml"), 2, "--format"),
        (("import", "{template}", "--as", KAZ, "--format", "stix"), 2, "not a JSON file"),
        (("import", "{template}", "--as", "auditor"), 3, "Access denied"),
        (("import", "{template}", "--as", "nobody"), 4, "Not found"),
        (("export", "no-such-record", "--purpose", "analysis", "--as", KAZ), 4, "Not found"),
    ],
)
def test_failures_have_their_exit_status(
    run: Run, args: tuple[str, ...], code: int, needle: str
) -> None:
    got, out, err = run(*(a.replace("{template}", str(TEMPLATE)) for a in args))
    assert got == code, (out, err)
    assert needle in err
