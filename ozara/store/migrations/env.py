"""Alembic environment: runs against the engine handed over by ``ozara.store.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from ozara.store.db import make_engine
from ozara.store.tables import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = make_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
