"""The schema comes from Alembic, and Alembic agrees with the models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from ozara.store import db
from ozara.store.tables import metadata


def test_upgrade_head_builds_every_table(engine: Engine) -> None:
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


# SQLite cannot reflect expression indexes; those in the models are PostgreSQL's only.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_models_and_migrations_agree(engine: Engine) -> None:
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    db.upgrade(engine)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)


def test_0002_fills_in_the_body_that_owes_each_deadline(engine: Engine) -> None:
    """Data written under 0001 gets its deadline owners (Art. 6 para 4, Art. 7) on upgrade."""
    db.upgrade(engine, "0001")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for body, zone in (("KAZ-MVD", "Asia/Almaty"), ("RUS-FSB", "Europe/Moscow")):
            conn.execute(
                text(
                    "INSERT INTO competent_bodies (id, party, name_ru, name_en, timezone, "
                    "designated_from) VALUES (:id, 'KAZ', 'x', 'x', :tz, :t0)"
                ),
                {"id": body, "tz": zone, "t0": t0},
            )
        conn.execute(
            text(
                "INSERT INTO requests (id, state, requesting_body, requested_body, urgent, "
                "crime_category, content, created_at, created_by, partially_refused, version, "
                "updated_at) VALUES ('R1', 'in_execution', 'KAZ-MVD', 'RUS-FSB', true, 'c', "
                "'{}', :t0, 'x', false, 5, :t0)"
            ),
            {"t0": t0},
        )
        for kind in ("urgent_confirmation", "execution"):
            conn.execute(
                text(
                    "INSERT INTO request_deadlines (request_id, kind, due_at) "
                    "VALUES ('R1', :kind, :t0)"
                ),
                {"kind": kind, "t0": t0},
            )
    db.upgrade(engine)
    with engine.connect() as conn:
        owners = dict(
            conn.execute(text("SELECT kind, body_id FROM request_deadlines")).tuples().all()
        )
    assert owners == {"urgent_confirmation": "KAZ-MVD", "execution": "RUS-FSB"}
