"""Who may read, change or pass on a record of information, and for what (Art. 10).

The answer depends on where the record came from. The providing body's own officers use
it under their national law; a receiving Party's officers only while it is shared with
their Party and not revoked, and only for a permitted purpose, or for another purpose
the providing body has consented to. Each answer is a ``Decision`` naming its rules, so
a denial shows the officer which article stands in the way and what to do about it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ozara.core.parties import Officer, Party, Role
from ozara.core.records import Handling, Purpose
from ozara.core.rules import Decision, violation


@dataclass(frozen=True, slots=True)
class Holding:
    """A record as a node holds it: the content's conditions and where it came from."""

    record_id: str
    owner_body: str
    owner_party: Party
    handling: Handling
    #: The Parties the providing body shared it with (the owner's Party is implied).
    recipients: frozenset[Party]
    revoked_at: datetime | None = None

    def is_revoked(self, now: datetime) -> bool:
        return self.revoked_at is not None and self.revoked_at <= now


class ConsentState(enum.StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Consent:
    """The providing body's answer to "may body X use record R for purpose P?"."""

    record_id: str
    body_id: str
    purpose: Purpose
    state: ConsentState
    #: A consent may be limited in time; ``None`` means for as long as the record lives.
    until: datetime | None = None

    def covers(self, record_id: str, body_id: str, purpose: Purpose, now: datetime) -> bool:
        return (
            self.state is ConsentState.GRANTED
            and self.record_id == record_id
            and self.body_id == body_id
            and self.purpose is purpose
            and (self.until is None or now < self.until)
        )


def _allow(*rules: str) -> Decision:
    return Decision(True, rules)


def _deny(field: str, rule: str, detail: str | None = None) -> Decision:
    return Decision(False, (rule,), (violation(field, rule, detail),))


def is_provider(officer: Officer, holding: Holding) -> bool:
    return officer.body_id is not None and officer.body_id == holding.owner_body


def may_read(
    officer: Officer,
    officer_party: Party | None,
    holding: Holding,
    purpose: Purpose,
    *,
    consents: Iterable[Consent],
    now: datetime,
) -> Decision:
    """May ``officer`` (of a body of ``officer_party``) open ``holding`` for ``purpose``?

    Every read states a purpose, even the provider's own, so that the audit trail can
    answer "what was it used for" for every read. An auditor sees that records exist,
    never their content: purpose limitation has no auditor exception in Art. 10.
    """
    if is_provider(officer, holding):
        return _allow("art10.purpose")
    if officer.body_id is None or officer_party is None or officer.has(Role.AUDITOR):
        return _deny("record", "art10.not_shared", "only a competent body's officers read it")
    if officer_party is not holding.owner_party and officer_party not in holding.recipients:
        return _deny("record", "art10.not_shared")
    if holding.is_revoked(now):
        return _deny("record", "art10.revoked")
    if officer_party is holding.owner_party:
        # Another body of the providing Party: national law, not the Protocol, governs it.
        return _allow("art10.purpose")
    if purpose in holding.handling.purposes:
        return _allow("art10.purpose")
    if any(c.covers(holding.record_id, officer.body_id, purpose, now) for c in consents):
        return _allow("art10.purpose")
    permitted = ", ".join(sorted(p.value for p in holding.handling.purposes))
    return _deny(
        "purpose",
        "art10.purpose",
        f"{purpose.value!r} is not among the permitted purposes ({permitted}); "
        "ask the providing body for consent",
    )


def may_ask_consent(
    officer: Officer,
    officer_party: Party | None,
    holding: Holding,
    purpose: Purpose,
    *,
    now: datetime,
) -> Decision:
    """A consent is asked for by a body of a Party the record was shared with, for a
    purpose not already permitted, while the record stands."""
    if officer.body_id is None or officer_party is None or is_provider(officer, holding):
        return _deny("record", "art10.not_shared")
    if officer_party not in holding.recipients:
        return _deny("record", "art10.not_shared")
    if holding.is_revoked(now):
        return _deny("record", "art10.revoked")
    if purpose in holding.handling.purposes:
        return _deny("purpose", "art10.purpose", f"{purpose.value!r} is already permitted")
    return _allow("art10.purpose")


def may_change(officer: Officer, holding: Holding, now: datetime) -> Decision:
    """Updates, revocation and consent answers belong to the providing body alone."""
    if not is_provider(officer, holding):
        return _deny("record", "art10.owner")
    if holding.is_revoked(now):
        return _deny("record", "art10.revoked")
    return _allow("art10.owner")


def may_share(
    officer: Officer,
    officer_party: Party | None,
    holding: Holding,
    recipients: Iterable[Party],
    *,
    now: datetime,
) -> Decision:
    """May ``officer`` pass ``holding`` to ``recipients``?

    The provider shares with any Party. A receiving Party passes it on only where the
    providing body allowed onward sharing, and never back to the provider's own Party
    (it has the record already).
    """
    targets = set(recipients)
    if not targets:
        return _deny("recipients", "art5.record_required", "choose at least one Party")
    if holding.is_revoked(now):
        return _deny("record", "art10.revoked")
    if is_provider(officer, holding):
        if holding.owner_party in targets:
            return _deny("recipients", "art4.distinct_parties", "the record is already there")
        return _allow("art10.owner")
    if officer.body_id is None or officer_party is None or officer_party in targets:
        return _deny("recipients", "art10.owner")
    if officer_party is holding.owner_party:
        # Another body of the providing Party: sharing is the provider's decision.
        return _deny("record", "art10.owner")
    if officer_party not in holding.recipients:
        return _deny("record", "art10.not_shared")
    if not holding.handling.onward_sharing:
        return _deny("recipients", "art10.onward")
    if holding.owner_party in targets:
        return _deny("recipients", "art4.distinct_parties", "the provider has the record")
    return _allow("art10.onward")
