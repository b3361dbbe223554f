"""Parsing a cooperation action's payload (``Command.details``) into validated values.

The structured part of each action travels in ``Command.details``, JSON as it is sent::

    propose_participation  {"representatives": [{"name", "post", "body"}],
                            "date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD",
                            "actions": ["what they would take part in", ...]}
    answer_participation   {"proposal": n, "decision": "agreed" | "refused",
                            "agreed": ["name", ...]}           (agreed: optional, a subset)
    record_participation   {"proposal": n, "took_part": ["name", ...]}
    record_consultation    {"bodies": [...], "persons": [...], "held_on": "YYYY-MM-DD",
                            "subject": one of SUBJECTS}        (text: the outcome)
    propose_costs          {"shares": [{"borne_by": "requesting" | "requested", "what",
                            "amount": "1500.00" | null, "currency": "USD" | null}]}
    answer_costs           {"proposal": n, "decision": "accepted" | "rejected"}

Parsing here is pure and strict: an unknown key is refused (a typo would be lost on the
other node), and every fault names its field, rule and article. What the payload may
mean for this request (a name agreed, an answer not yet given) is checked by
``ozara.core.cooperation``, which reads the payload through ``Payload``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ozara.core.actions import Action
from ozara.core.cooperation_values import CostShare, Representative
from ozara.core.events import Side
from ozara.core.rules import Violation, violation

#: What a consultation is about (Art. 11: a request, or a disagreement over one).
SUBJECTS = ("request", "refusal", "conditions", "postponement", "participation", "costs", "other")
#: The command keys of each action: the payload that travels, and nothing else.
PAYLOAD_KEYS: Mapping[Action, frozenset[str]] = {
    Action.PROPOSE_PARTICIPATION: frozenset({"representatives", "date_from", "date_to", "actions"}),
    Action.ANSWER_PARTICIPATION: frozenset({"proposal", "decision", "agreed"}),
    Action.RECORD_PARTICIPATION: frozenset({"proposal", "took_part"}),
    Action.RECORD_CONSULTATION: frozenset({"bodies", "persons", "held_on", "subject"}),
    Action.PROPOSE_COSTS: frozenset({"shares"}),
    Action.ANSWER_COSTS: frozenset({"proposal", "decision"}),
}
_REQUIRED_KEYS: Mapping[Action, frozenset[str]] = {
    **PAYLOAD_KEYS,
    Action.ANSWER_PARTICIPATION: frozenset({"proposal", "decision"}),
}
MAX_ITEMS = 20
MAX_NAME = 200
MAX_LINE = 1000
_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217


class Payload:
    """Reads one command's details, collecting every fault under the action's rule."""

    def __init__(self, details: Mapping[str, Any], rule: str) -> None:
        self.d, self.rule, self.problems = details, rule, list[Violation]()

    def fault(self, name: str, detail: str, rule: str | None = None) -> None:
        self.problems.append(violation(name, rule or self.rule, detail))

    def text(self, value: object, name: str, limit: int = MAX_NAME) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fault(name, "a non-empty text is required")
            return None
        if "\x00" in value or len(value) > limit:
            self.fault(name, f"a text of at most {limit} characters", "input.type")
            return None
        return value.strip()

    def texts(self, name: str, limit: int = MAX_NAME, *, allow_empty: bool = False) -> list[str]:
        raw = self.d.get(name)
        if not isinstance(raw, list) or (not raw and not allow_empty) or len(raw) > MAX_ITEMS:
            low = 0 if allow_empty else 1
            self.fault(name, f"a list of {low} to {MAX_ITEMS} texts")
            return []
        out = [self.text(v, f"{name}[{n}]", limit) for n, v in enumerate(raw)]
        found = [v for v in out if v is not None]
        if len(set(found)) != len(found):
            self.fault(name, "the same entry twice")
        return found

    def day(self, name: str) -> date | None:
        raw = self.d.get(name)
        if isinstance(raw, str) and len(raw) == len("YYYY-MM-DD"):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        self.fault(name, "a date as YYYY-MM-DD", "input.type")
        return None

    def number(self) -> int:
        raw = self.d.get("proposal")
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            self.fault("proposal", "the number of the proposal answered")
            return 0
        return raw

    def one_of(self, name: str, options: tuple[str, ...]) -> str | None:
        raw = self.d.get(name)
        if raw not in options:
            self.fault(name, f"one of {', '.join(options)}")
            return None
        return str(raw)


def check_keys(action: Action, details: Mapping[str, Any], p: Payload) -> None:
    for key in sorted(set(details) - PAYLOAD_KEYS[action]):
        p.fault(key, f"known: {', '.join(sorted(PAYLOAD_KEYS[action]))}", "input.unknown_field")
    for key in sorted(_REQUIRED_KEYS[action] - set(details)):
        p.fault(key, "this field is required")


def read_representatives(p: Payload, requesting_body: str) -> tuple[Representative, ...]:
    raw = p.d.get("representatives")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        p.fault("representatives", f"a list of 1 to {MAX_ITEMS} representatives")
        return ()
    out: list[Representative] = []
    for n, item in enumerate(raw):
        where = f"representatives[{n}]"
        if not isinstance(item, Mapping) or set(item) != {"name", "post", "body"}:
            p.fault(where, "each representative gives exactly name, post and body")
            continue
        name, post = p.text(item["name"], f"{where}.name"), p.text(item["post"], f"{where}.post")
        body = p.text(item["body"], f"{where}.body", 64)
        if body is not None and body != requesting_body:
            # Art. 8 admits representatives of the requesting body, not of a third one.
            p.fault(f"{where}.body", f"a representative of {requesting_body}, not {body}")
        if name is not None and post is not None and body is not None:
            out.append(Representative(name, post, body))
    if len({r.name for r in out}) != len(out):
        p.fault("representatives", "the same name twice: each representative once")
    return tuple(out)


def read_shares(p: Payload) -> tuple[CostShare, ...]:
    raw = p.d.get("shares")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        p.fault("shares", f"a list of 1 to {MAX_ITEMS} shares: who bears what")
        return ()
    out = []
    for n, item in enumerate(raw):
        where = f"shares[{n}]"
        if (
            not isinstance(item, Mapping)
            or not {"borne_by", "what"} <= set(item)
            or not set(item) <= {"borne_by", "what", "amount", "currency"}
        ):
            p.fault(where, "borne_by and what, with amount and currency if known")
            continue
        if item["borne_by"] not in (Side.REQUESTING.value, Side.REQUESTED.value):
            p.fault(f"{where}.borne_by", "requesting or requested")
            continue
        what = p.text(item["what"], f"{where}.what", MAX_LINE)
        amount, currency = item.get("amount"), item.get("currency")
        if (amount is None) != (currency is None):
            p.fault(f"{where}.amount", "an amount and its currency, both or neither")
            continue
        if amount is not None and not (isinstance(amount, str) and _AMOUNT.fullmatch(amount)):
            p.fault(f"{where}.amount", "a decimal amount such as 1500.00", "input.type")
            continue
        if currency is not None and not (
            isinstance(currency, str) and _CURRENCY.fullmatch(currency)
        ):
            p.fault(f"{where}.currency", "an ISO 4217 code such as USD", "input.type")
            continue
        if what is not None:
            out.append(CostShare(Side(item["borne_by"]), what, amount, currency))
    return tuple(out)
