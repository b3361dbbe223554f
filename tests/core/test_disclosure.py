"""Art. 10: who reads a record, for which purpose, and who may pass it on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ozara.core.disclosure import (
    Consent,
    ConsentState,
    Holding,
    may_ask_consent,
    may_change,
    may_read,
    may_share,
)
from ozara.core.parties import Officer, Party, Role
from ozara.core.records import Confidentiality, Handling, Purpose
from ozara.core.rules import ProtocolError

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def officer(body: str | None, *roles: Role) -> Officer:
    return Officer(f"{body}.x", "X", body, frozenset(roles or {Role.OFFICER}))


PROVIDER = officer("KAZ-MVD")
SAME_PARTY = officer("KAZ-KNB")
RECIPIENT = officer("RUS-MVD")
THIRD = officer("ARM-POLICE")
AUDITOR = officer("RUS-MVD", Role.AUDITOR)
SECRETARIAT = officer(None, Role.SECRETARIAT)


def holding(onward: bool = False, revoked_at: datetime | None = None) -> Holding:
    return Holding(
        record_id="r1",
        owner_body="KAZ-MVD",
        owner_party=Party.KAZAKHSTAN,
        handling=Handling(frozenset({Purpose.INVESTIGATION}), Confidentiality.OFFICIAL_USE, onward),
        recipients=frozenset({Party.RUSSIA}),
        revoked_at=revoked_at,
    )


def read(
    who: Officer,
    party: Party | None,
    purpose: Purpose = Purpose.INVESTIGATION,
    h: Holding | None = None,
    consents: tuple[Consent, ...] = (),
) -> tuple[bool, tuple[str, ...]]:
    d = may_read(who, party, h or holding(), purpose, consents=consents, now=NOW)
    return d.allowed, d.rules


def test_the_provider_reads_for_any_purpose() -> None:
    assert read(PROVIDER, Party.KAZAKHSTAN, Purpose.TRAINING) == (True, ("art10.purpose",))


def test_a_recipient_reads_for_a_permitted_purpose() -> None:
    assert read(RECIPIENT, Party.RUSSIA)[0]


def test_a_wrong_purpose_is_denied_and_says_ask_for_consent() -> None:
    d = may_read(RECIPIENT, Party.RUSSIA, holding(), Purpose.TRAINING, consents=(), now=NOW)
    assert not d.allowed
    [v] = d.violations
    assert (v.field, v.rule, v.article) == ("purpose", "art10.purpose", "Art. 10 para 2")
    assert "consent" in v.message and "investigation" in v.message
    with pytest.raises(ProtocolError, match=r"Art\. 10 para 2"):
        d.raise_if_denied()


def consent(
    state: ConsentState = ConsentState.GRANTED,
    body: str = "RUS-MVD",
    purpose: Purpose = Purpose.TRAINING,
    until: datetime | None = None,
    record: str = "r1",
) -> Consent:
    return Consent(record, body, purpose, state, until)


def test_a_granted_consent_opens_that_purpose_only() -> None:
    granted = (consent(),)
    assert read(RECIPIENT, Party.RUSSIA, Purpose.TRAINING, consents=granted)[0]
    assert not read(RECIPIENT, Party.RUSSIA, Purpose.RESEARCH, consents=granted)[0]


@pytest.mark.parametrize(
    "given",
    [
        consent(ConsentState.REQUESTED),
        consent(ConsentState.REFUSED),
        consent(body="RUS-FSB"),  # another body's consent
        consent(record="r2"),  # another record's
        consent(until=NOW),  # expired at this instant
    ],
)
def test_no_valid_consent_no_reading(given: Consent) -> None:
    assert read(RECIPIENT, Party.RUSSIA, Purpose.TRAINING, consents=(given,)) == (
        False,
        ("art10.purpose",),
    )


def test_a_record_not_shared_with_the_party_is_denied() -> None:
    assert read(THIRD, Party.ARMENIA) == (False, ("art10.not_shared",))


def test_a_revoked_record_is_denied_even_with_a_consent() -> None:
    revoked = holding(revoked_at=NOW - timedelta(minutes=1))
    assert read(RECIPIENT, Party.RUSSIA, h=revoked, consents=(consent(),)) == (
        False,
        ("art10.revoked",),
    )
    # The provider keeps its own record, revoked or not.
    assert read(PROVIDER, Party.KAZAKHSTAN, h=revoked)[0]


def test_a_revocation_takes_effect_at_its_time() -> None:
    later = holding(revoked_at=NOW + timedelta(minutes=1))
    assert read(RECIPIENT, Party.RUSSIA, h=later)[0]


def test_another_body_of_the_providing_party_reads_under_national_law() -> None:
    assert read(SAME_PARTY, Party.KAZAKHSTAN, Purpose.TRAINING)[0]


@pytest.mark.parametrize("who", [AUDITOR, SECRETARIAT])
def test_auditors_and_the_secretariat_see_no_content(who: Officer) -> None:
    party = Party.RUSSIA if who.body_id else None
    assert read(who, party) == (False, ("art10.not_shared",))


def test_consent_is_asked_for_a_purpose_not_yet_permitted() -> None:
    h = holding()
    assert may_ask_consent(RECIPIENT, Party.RUSSIA, h, Purpose.TRAINING, now=NOW).allowed
    already = may_ask_consent(RECIPIENT, Party.RUSSIA, h, Purpose.INVESTIGATION, now=NOW)
    assert not already.allowed
    assert not may_ask_consent(THIRD, Party.ARMENIA, h, Purpose.TRAINING, now=NOW).allowed
    assert not may_ask_consent(PROVIDER, Party.KAZAKHSTAN, h, Purpose.TRAINING, now=NOW).allowed
    revoked = holding(revoked_at=NOW)
    assert not may_ask_consent(RECIPIENT, Party.RUSSIA, revoked, Purpose.TRAINING, now=NOW).allowed


def test_only_the_provider_changes_a_record() -> None:
    assert may_change(PROVIDER, holding(), NOW).allowed
    assert may_change(SAME_PARTY, holding(), NOW).rules == ("art10.owner",)
    assert not may_change(RECIPIENT, holding(), NOW).allowed
    assert may_change(PROVIDER, holding(revoked_at=NOW), NOW).rules == ("art10.revoked",)


def share(who: Officer, party: Party | None, to: set[Party], h: Holding) -> tuple[str, ...]:
    d = may_share(who, party, h, to, now=NOW)
    return ("allowed",) if d.allowed else d.rules


def test_the_provider_shares_with_other_parties() -> None:
    assert share(PROVIDER, Party.KAZAKHSTAN, {Party.ARMENIA}, holding()) == ("allowed",)
    assert share(PROVIDER, Party.KAZAKHSTAN, set(), holding()) == ("art5.record_required",)
    assert share(PROVIDER, Party.KAZAKHSTAN, {Party.KAZAKHSTAN}, holding()) == (
        "art4.distinct_parties",
    )


def test_onward_sharing_needs_the_providers_leave() -> None:
    assert share(RECIPIENT, Party.RUSSIA, {Party.ARMENIA}, holding()) == ("art10.onward",)
    assert share(RECIPIENT, Party.RUSSIA, {Party.ARMENIA}, holding(onward=True)) == ("allowed",)


def test_no_sharing_of_what_one_does_not_hold_or_what_is_revoked() -> None:
    assert share(THIRD, Party.ARMENIA, {Party.BELARUS}, holding(onward=True)) == (
        "art10.not_shared",
    )
    assert share(SAME_PARTY, Party.KAZAKHSTAN, {Party.ARMENIA}, holding(onward=True)) == (
        "art10.owner",
    )
    revoked = holding(onward=True, revoked_at=NOW)
    assert share(RECIPIENT, Party.RUSSIA, {Party.ARMENIA}, revoked) == ("art10.revoked",)
    assert share(PROVIDER, Party.KAZAKHSTAN, {Party.ARMENIA}, revoked) == ("art10.revoked",)
