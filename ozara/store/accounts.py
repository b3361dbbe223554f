"""Rows of the web sign-in: accounts and sessions (``ozara.services.accounts`` decides).

The TOTP secret is encrypted at rest under the node's keyring, bound to the officer
(ozara/store/at_rest.py); a secret stored in clear before encryption was turned on still
reads, and ``ozara keys rotate`` encrypts it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ozara.store import at_rest
from ozara.store.tables import accounts, web_sessions


def _place(officer_id: str) -> str:
    """Where a secret belongs: ``at_rest_rotation.ENCRYPTED`` binds it the same way."""
    return f"accounts.totp_secret:{officer_id}"


@dataclass(frozen=True, slots=True)
class Account:
    officer_id: str
    password_hash: str
    totp_secret: str | None
    language: str
    failed_attempts: int
    locked_until: datetime | None
    last_totp_step: int | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    officer_id: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class AccountRepository:
    conn: Connection

    def get(self, officer_id: str, *, for_update: bool = False) -> Account | None:
        query = select(accounts).where(accounts.c.officer_id == officer_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        if row is None:
            return None
        secret = row["totp_secret"]
        if secret is not None:
            secret = at_rest.unseal_text(self.conn, secret, _place(officer_id))
        return Account(
            row["officer_id"], row["password_hash"], secret, row["language"],
            row["failed_attempts"], row["locked_until"], row["last_totp_step"],
        )  # fmt: skip

    def add(self, officer_id: str, password_hash: str, now: datetime) -> None:
        self.conn.execute(
            insert(accounts).values(
                officer_id=officer_id, password_hash=password_hash, password_set_at=now
            )
        )

    def update(self, officer_id: str, **values: Any) -> None:
        if values.get("totp_secret") is not None:
            values["totp_secret"] = at_rest.seal_text(
                self.conn, values["totp_secret"], _place(officer_id)
            )
        self.conn.execute(
            update(accounts).where(accounts.c.officer_id == officer_id).values(**values)
        )

    def add_session(self, token_sha256: str, row: SessionRow) -> None:
        self.conn.execute(
            insert(web_sessions).values(
                token_sha256=token_sha256, officer_id=row.officer_id, csrf_token=row.csrf_token,
                created_at=row.created_at, last_seen_at=row.last_seen_at,
                expires_at=row.expires_at,
            )
        )  # fmt: skip

    def session(self, token_sha256: str) -> SessionRow | None:
        row = self.conn.execute(
            select(web_sessions).where(web_sessions.c.token_sha256 == token_sha256)
        ).mappings().first()  # fmt: skip
        if row is None:
            return None
        return SessionRow(
            row["officer_id"], row["csrf_token"], row["created_at"], row["last_seen_at"],
            row["expires_at"],
        )  # fmt: skip

    def touch_session(self, token_sha256: str, now: datetime) -> None:
        self.conn.execute(
            update(web_sessions)
            .where(web_sessions.c.token_sha256 == token_sha256)
            .values(last_seen_at=now)
        )

    def delete_session(self, token_sha256: str) -> None:
        self.conn.execute(delete(web_sessions).where(web_sessions.c.token_sha256 == token_sha256))

    def delete_sessions_of(self, officer_id: str) -> None:
        self.conn.execute(delete(web_sessions).where(web_sessions.c.officer_id == officer_id))
