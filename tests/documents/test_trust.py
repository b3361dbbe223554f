"""The trust list: issued and signed by the Secretariat, superseded by a higher version."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ozara.crypto import DEFAULT_SUITE_ID, get_suite
from ozara.documents import (
    TrustList,
    TrustListReason,
    TrustListRejected,
    TrustState,
    accept_trust_list,
    canonicalize,
    issue_trust_list,
    parse_json,
    verify_trust_list,
)
from ozara.documents.canonical import JSONObject
from tests.documents.federation import NOW, Federation


def reason(excinfo: pytest.ExceptionInfo[TrustListRejected]) -> TrustListReason:
    return excinfo.value.reason


def test_a_trust_list_verifies_under_the_secretariat_key(fed: Federation) -> None:
    verify_trust_list(fed.trust_list, fed.secretariat.signing.public)
    [secretariat, kaz, rus] = fed.trust_list.entries
    assert secretariat.party is None and kaz.party == "KAZ" and rus.bodies == ("RUS-MVD", "RUS-FSB")


def test_a_trust_list_survives_the_wire(fed: Federation) -> None:
    wire = canonicalize(fed.trust_list.to_signed_json())
    parsed = TrustList.from_json(parse_json(wire))
    assert parsed == fed.trust_list
    verify_trust_list(parsed, fed.secretariat.signing.public)
    assert canonicalize(parsed.to_signed_json()) == wire


def test_another_key_is_not_the_secretariat(fed: Federation) -> None:
    with pytest.raises(TrustListRejected) as info:
        verify_trust_list(fed.trust_list, fed.kaz.signing.public)
    assert reason(info) is TrustListReason.WRONG_ISSUER


def test_a_changed_entry_breaks_the_signature(fed: Federation) -> None:
    entries = list(fed.trust_list.entries)
    entries[1] = replace(entries[1], endpoint="https://attacker.test")
    altered = replace(fed.trust_list, entries=tuple(entries))
    with pytest.raises(TrustListRejected) as info:
        verify_trust_list(altered, fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.BAD_SIGNATURE


def test_a_changed_version_breaks_the_signature(fed: Federation) -> None:
    with pytest.raises(TrustListRejected) as info:
        verify_trust_list(replace(fed.trust_list, version=99), fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.BAD_SIGNATURE


def test_a_flipped_signature_byte_is_refused(fed: Federation) -> None:
    signature = fed.trust_list.signature
    assert signature is not None
    value = bytes([signature.value[0] ^ 1]) + signature.value[1:]
    altered = replace(fed.trust_list, signature=replace(signature, value=value))
    with pytest.raises(TrustListRejected) as info:
        verify_trust_list(altered, fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.BAD_SIGNATURE


def test_an_unsigned_list_is_refused(fed: Federation) -> None:
    with pytest.raises(TrustListRejected) as info:
        verify_trust_list(replace(fed.trust_list, signature=None), fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.BAD_SIGNATURE
    with pytest.raises(ValueError, match="not signed"):
        replace(fed.trust_list, signature=None).to_signed_json()


def test_a_signed_entry_with_an_unusable_key_is_refused(fed: Federation) -> None:
    entry = replace(fed.trust_list.entries[1], signing_key=b"\x01" * 31)
    listed = fed.issue(4, (*fed.trust_list.entries[:1], entry))
    with pytest.raises(TrustListRejected) as info:
        verify_trust_list(listed, fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.MALFORMED


def test_a_higher_version_supersedes(fed: Federation) -> None:
    newer = fed.issue(4, fed.trust_list.entries[:2])
    assert accept_trust_list(fed.trust_list, newer, fed.secretariat.signing.public) is newer


def test_a_first_list_is_accepted_when_none_is_held(fed: Federation) -> None:
    accepted = accept_trust_list(None, fed.trust_list, fed.secretariat.signing.public)
    assert accepted is fed.trust_list


@pytest.mark.parametrize("version", [1, 2, 3])
def test_the_same_or_a_lower_version_does_not_supersede(fed: Federation, version: int) -> None:
    candidate = fed.issue(version, fed.trust_list.entries)
    with pytest.raises(TrustListRejected) as info:
        accept_trust_list(fed.trust_list, candidate, fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.NOT_NEWER
    assert f"version {version} does not supersede version 3" in str(info.value)


def test_a_higher_version_signed_by_another_key_does_not_supersede(fed: Federation) -> None:
    forger = get_suite(DEFAULT_SUITE_ID).generate_signing_key_pair()
    forged = issue_trust_list(9, NOW, fed.secretariat.node_id, fed.trust_list.entries, forger)
    with pytest.raises(TrustListRejected) as info:
        accept_trust_list(fed.trust_list, forged, fed.secretariat.signing.public)
    assert reason(info) is TrustListReason.WRONG_ISSUER


def test_the_trust_state_remembers_who_was_listed(fed: Federation) -> None:
    state = TrustState(current=fed.trust_list)
    state = state.accept(fed.issue(4, fed.trust_list.entries[:1]), fed.secretariat.signing.public)
    assert state.current.version == 4
    assert state.formerly_listed == {"CSTO-SEC", "KAZ-MVD-NODE", "RUS-MVD-NODE"}
    with pytest.raises(TrustListRejected):
        state.accept(fed.trust_list, fed.secretariat.signing.public)


def wire(fed: Federation) -> JSONObject:
    return fed.trust_list.to_signed_json()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("party",), "USA"),
        (("party",), ["KAZ"]),
        (("valid_from",), "2026-01-01T00:00:00+00:00"),
        (("valid_from",), "2026-01-01T00:00:00.000000Z"),
        (("valid_until",), "2025-01-01T00:00:00Z"),
        (("signing_key",), "not base64url!"),
        (("bodies",), ["has space"]),
        (("node_id",), ""),
        (("extra",), 1),
    ],
)
def test_a_malformed_entry_is_refused(fed: Federation, path: tuple[str], value: object) -> None:
    data = wire(fed)
    entries = data["entries"]
    assert isinstance(entries, list) and isinstance(entries[1], dict)
    entries[1][path[0]] = value  # type: ignore[assignment]
    with pytest.raises(TrustListRejected) as info:
        TrustList.from_json(data)
    assert reason(info) is TrustListReason.MALFORMED


@pytest.mark.parametrize("key", ["v", "version", "issued_at", "issuer", "entries", "signature"])
def test_a_list_missing_a_member_is_refused(fed: Federation, key: str) -> None:
    data = wire(fed)
    del data[key]
    with pytest.raises(TrustListRejected) as info:
        TrustList.from_json(data)
    assert reason(info) is TrustListReason.MALFORMED


@pytest.mark.parametrize("value", [None, [], "list", 3])
def test_a_list_that_is_not_an_object_is_refused(value: object) -> None:
    with pytest.raises(TrustListRejected):
        TrustList.from_json(value)  # type: ignore[arg-type]
