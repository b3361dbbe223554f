"""Sign-in to the web application: passwords, a TOTP second factor, lockout and sessions.

Policy (OWASP ASVS level 2, chapters 2 and 3):

* passwords of at least 12 characters, hashed with Argon2id (``argon2-cffi`` defaults);
* a time-based one-time code (RFC 6238, 30-second steps, one step of clock drift either
  way); a code, once accepted, is never accepted again;
* after ``LOCKOUT_AFTER`` failures in a row the account is locked for ``LOCKOUT_FOR``; the
  answer to a failed sign-in never says which factor was wrong, nor whether the officer
  exists (an unknown id costs the same Argon2 verification);
* a session is a random 256-bit token in a cookie; the database keeps only its SHA-256. It
  ends after ``IDLE_TIMEOUT`` without activity and at the latest ``SESSION_LIFETIME`` after
  sign-in; signing in again issues a new token (no session fixation); each session has its
  own CSRF token for the forms.

Every sign-in, failure, lockout and sign-out is an audit row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ozara.core.deadlines import require_utc
from ozara.core.parties import Officer
from ozara.store.accounts import Account, AccountRepository, SessionRow
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

MIN_PASSWORD_LENGTH = 12
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)
#: Activity is written back at most this often (not on every page view).
_TOUCH_EVERY = timedelta(minutes=1)
LANGUAGES = ("ru", "kk", "en")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("ozara: no such officer, same cost")


class PasswordRejected(ValueError):
    """A new password that does not meet the policy; the message says which rule."""


class SignInRefused(Exception):
    """Wrong id, password or code (one message for all), or the account is locked."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        self.locked_until = locked_until
        super().__init__("locked" if locked_until else "invalid")


@dataclass(frozen=True, slots=True)
class Session:
    officer: Officer
    csrf_token: str
    expires_at: datetime
    language: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _audit(
    uow: SqlUnitOfWork, now: datetime, officer_id: str, action: str, **details: object
) -> None:
    uow.audit.record(
        now, actor_id=officer_id, body_id=None, action=action, object_type="account",
        object_id=officer_id, details=dict(details),
    )  # fmt: skip


def set_password(uow: SqlUnitOfWork, officer_id: str, password: str, now: datetime) -> None:
    """Give an officer of this node a password (a new account, or a changed password).

    Changing it ends every session of the officer.
    """
    now = require_utc(now)
    uow.registry.officer(officer_id)  # NotFound for an unknown officer
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or len(set(password)) < 4:
        raise PasswordRejected(
            "password: no leading or trailing spaces, at least 4 different characters"
        )
    repo = AccountRepository(uow.connection)
    hashed = _hasher.hash(password)
    if repo.get(officer_id) is None:
        repo.add(officer_id, hashed, now)
    else:
        repo.update(officer_id, password_hash=hashed, password_set_at=now, failed_attempts=0,
                    locked_until=None)  # fmt: skip
        repo.delete_sessions_of(officer_id)
    _audit(uow, now, officer_id, "account:password_set")
    uow.commit()


def enroll_totp(uow: SqlUnitOfWork, officer_id: str, now: datetime) -> str:
    """Create (or replace) the officer's TOTP secret; returns it in base32 for the app.

    Replacing it ends every session of the officer, as a new password does: a factor is
    re-enrolled because the old one was lost or exposed, and a session opened with it must
    not outlive it.
    """
    now = require_utc(now)
    repo = AccountRepository(uow.connection)
    if repo.get(officer_id) is None:
        raise NotFound("account", officer_id)
    secret = pyotp.random_base32()
    repo.update(officer_id, totp_secret=secret, last_totp_step=None)
    repo.delete_sessions_of(officer_id)
    _audit(uow, now, officer_id, "account:totp_enrolled")
    uow.commit()
    return secret


def provisioning_uri(officer_id: str, secret: str, node: str = "Ozara") -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=officer_id, issuer_name=node)


def sign_in(
    uow: SqlUnitOfWork, officer_id: str, password: str, code: str, now: datetime
) -> tuple[str, Session]:
    """Check the password and the one-time code; a new session token and its session."""
    now = require_utc(now)
    repo = AccountRepository(uow.connection)
    # Locked until the end of the transaction (PostgreSQL): parallel guesses are counted one
    # after another, so the lockout holds and a code is not accepted twice.
    account = repo.get(officer_id, for_update=True)
    if account is None:
        _verify(_DUMMY_HASH, password)
        _audit(uow, now, officer_id, "account:sign_in_failed", reason="unknown officer")
        uow.commit()
        raise SignInRefused()
    if account.locked_until is not None and account.locked_until > now:
        _audit(uow, now, officer_id, "account:sign_in_failed", reason="locked")
        uow.commit()
        raise SignInRefused(account.locked_until)
    step = _totp_step(account, code, now)
    if not _verify(account.password_hash, password) or step is None:
        _fail(uow, repo, account, now)
    repo.update(officer_id, failed_attempts=0, locked_until=None, last_totp_step=step)
    if _hasher.check_needs_rehash(account.password_hash):
        repo.update(officer_id, password_hash=_hasher.hash(password))
    token = secrets.token_urlsafe(32)
    row = SessionRow(officer_id, secrets.token_urlsafe(32), now, now, now + SESSION_LIFETIME)
    repo.add_session(_digest(token), row)
    _audit(uow, now, officer_id, "account:signed_in")
    officer = uow.registry.officer(officer_id)
    uow.commit()
    return token, Session(officer, row.csrf_token, row.expires_at, account.language)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_step(account: Account, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, if it is valid now and newer than the last one."""
    if account.totp_secret is None:
        return None  # no second factor enrolled: no sign-in
    totp = pyotp.TOTP(account.totp_secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code.strip()):
            if account.last_totp_step is not None and step <= account.last_totp_step:
                return None  # replayed
            return step
    return None


def _fail(uow: SqlUnitOfWork, repo: AccountRepository, account: Account, now: datetime) -> None:
    failures = account.failed_attempts + 1
    locked = now + LOCKOUT_FOR if failures >= LOCKOUT_AFTER else None
    repo.update(account.officer_id, failed_attempts=0 if locked else failures, locked_until=locked)
    _audit(uow, now, account.officer_id, "account:sign_in_failed", attempts=failures)
    if locked:
        _audit(uow, now, account.officer_id, "account:locked", until=locked.isoformat())
    uow.commit()
    raise SignInRefused(locked)


def session(uow: SqlUnitOfWork, token: str, now: datetime) -> Session | None:
    """The live session of ``token``, or None (unknown, idle too long, or past its end)."""
    now = require_utc(now)
    repo = AccountRepository(uow.connection)
    digest = _digest(token)
    row = repo.session(digest)
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= IDLE_TIMEOUT:
        repo.delete_session(digest)
        uow.commit()
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        repo.touch_session(digest, now)
        uow.commit()
    account = repo.get(row.officer_id)
    language = account.language if account else "ru"
    try:
        officer = uow.registry.officer(row.officer_id)
    except NotFound:  # removed from the node meanwhile: the session ends with them
        repo.delete_session(digest)
        uow.commit()
        return None
    return Session(officer, row.csrf_token, row.expires_at, language)


def sign_out(uow: SqlUnitOfWork, token: str, now: datetime) -> None:
    repo = AccountRepository(uow.connection)
    row = repo.session(_digest(token))
    if row is not None:
        repo.delete_session(_digest(token))
        _audit(uow, require_utc(now), row.officer_id, "account:signed_out")
        uow.commit()


def set_language(uow: SqlUnitOfWork, officer_id: str, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language: one of {', '.join(LANGUAGES)}")
    AccountRepository(uow.connection).update(officer_id, language=language)
    uow.commit()
