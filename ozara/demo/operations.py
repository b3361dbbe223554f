"""The demo's operation story: a coordinated operation of three Parties (Art. 5 para 3).

Kazakhstan's MVD proposes operation «Зеркало» against a phishing network that imitates the
sites of Kazakh, Russian and Kyrgyz banks and takes the money out through crypto wallets.
It invites Russia's and Kyrgyzstan's MVD, which accept on their own nodes, and Belarus's,
which declines with its reasons. The lead assigns tasks with due dates (not to Belarus: it
declined); the members report, finish their tasks and link the requests of the first
stories (Kazakhstan's to Russia, Russia's to Kazakhstan); the FSB, not invited, may not
report; an officer may not close it: the head does, with a joint summary signed with the
head's key. Each step runs on the acting body's node (an invited body's action goes to the
lead's node, which orders it and sends it to every invited node); each document it causes
is shown with its route. At the end every participant's node holds the closed operation at
the same version, and the summary's signature verifies against each node's copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ozara.core.operations import (
    ACTIONS,
    LinkKind,
    OperationAction,
    OperationCommand,
)
from ozara.core.parties import Officer
from ozara.core.rules import ProtocolError
from ozara.crypto import CryptoError
from ozara.documents import OfficerSignature, verify_officer_signature
from ozara.federation.operation_documents import action_body
from ozara.federation.operations import FederatedOperationPeers
from ozara.services import operations as svc
from ozara.store.operations import OperationRepository, StoredOperation
from ozara.store.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from ozara.demo.scenario import Demo

A = OperationAction
ARTICLE = "Art. 5 para 3"
LEAD, HEAD = "kaz-mvd.officer", "kaz-mvd.head"
#: The lead body and the bodies it invites; Belarus declines.
BODIES = ("KAZ-MVD", "RUS-MVD", "KGZ-MVD", "BLR-MVD")
SUMMARY = (
    "Установлены и пресечены 14 фишинговых доменов, имитировавших сайты банков Казахстана, "
    "России и Кыргызстана; изъяты 3 сервера; задержаны 2 организатора в Алматы и 1 курьер "
    "в Бишкеке; заблокированы 6 криптовалютных кошельков. Материалы приобщены к уголовным "
    "делам, запросы по ст. 6 исполнены."
)


def plan(d: Demo) -> dict[str, Any]:
    start = (d.now + timedelta(days=1)).date()
    return {
        "name": "Операция «Зеркало»",
        "goals": "Установить и пресечь деятельность сети, размещающей фишинговые страницы банков "
        "Казахстана, России и Кыргызстана, и перекрыть вывод похищенных средств через "
        "криптовалютные кошельки",
        "period_from": start.isoformat(),
        "period_to": (start + timedelta(days=45)).isoformat(),
        "categories": ["c"],
        "invited": ["RUS-MVD", "KGZ-MVD", "BLR-MVD"],
    }


def peers(d: Demo, who: str) -> FederatedOperationPeers:
    node = d.node(who)
    return FederatedOperationPeers(node.keys, node.trust, node.peers.officer_keys)


def act(d: Demo, oid: str, who: str, command: OperationCommand, note: str = "") -> svc.Outcome:
    with SqlUnitOfWork(d.node(who).engine) as uow:
        outcome = svc.act_on_operation(uow, oid, command, who, d.now, peers(d, who))
    text = note or command.text
    if command.action is A.ASSIGN_TASK:
        text = f"{command.body_id}, due {command.due}: {text}"
    elif command.action is A.LINK:
        text = f"{command.ref}, {text}"
    if outcome.forwarded:
        text = f"{text} (to the lead's node)" if text else "to the lead's node"
    d.line(who, ACTIONS[command.action].event, ARTICLE, text or None)
    d.show_hops(first="operation_action")
    return outcome


def attempt(d: Demo, oid: str, who: str, command: OperationCommand, what: str) -> None:
    """An action the Protocol forbids: show the refusal, with its article."""
    try:
        act(d, oid, who, command)
    except ProtocolError as e:
        d.refused(who, what, e)
    else:  # pragma: no cover - the story is built so that this cannot happen
        raise AssertionError(f"{what} by {who} should have been refused")


def task(text: str, body_id: str, due: date) -> OperationCommand:
    return OperationCommand(A.ASSIGN_TASK, text=text, body_id=body_id, due=due)


def link(rid: str) -> OperationCommand:
    return OperationCommand(A.LINK, link_kind=LinkKind.REQUEST, ref=rid)


def earlier_request(d: Demo, requesting_body: str) -> str:
    """The first request of the earlier stories sent by this body (its id starts with it)."""
    found = next((r for r in d.requests if r.startswith(f"{requesting_body}-")), None)
    if found is None:
        raise LookupError(f"no earlier request of {requesting_body} to link to the operation")
    return found


def play(d: Demo) -> str:
    """Run the story; returns the operation's id."""
    d.say("\n== A coordinated operation of three Parties (Art. 5 para 3): «Зеркало»")
    with SqlUnitOfWork(d.node(LEAD).engine) as uow:
        oid = svc.propose_operation(uow, plan(d), LEAD, d.now, peers(d, LEAD))
    d.line(LEAD, "operation:proposed", ARTICLE, "«Зеркало»; invites RUS-MVD, KGZ-MVD, BLR-MVD")
    d.show_hops()

    d.advance(hours=20)
    act(d, oid, "rus-mvd.head", OperationCommand(A.ACCEPT))
    act(d, oid, "kgz-mvd.head", OperationCommand(A.ACCEPT))
    act(d, oid, "blr-mvd.head", OperationCommand(
        A.DECLINE, text="Силы подразделения до конца года задействованы в другой операции"
    ))  # fmt: skip

    d.advance(hours=4)
    start = current(d, oid).operation.plan.period_from
    act(d, oid, LEAD, task(
        "Установить хостинг и владельцев доменов фишинговых страниц российских банков",
        "RUS-MVD", start + timedelta(days=14),
    ))  # fmt: skip
    act(d, oid, LEAD, task(
        "Установить курьеров, обналичивающих похищенное через обменники криптовалюты в Бишкеке",
        "KGZ-MVD", start + timedelta(days=21),
    ))  # fmt: skip
    attempt(d, oid, LEAD, task("Проверить платёжные шлюзы", "BLR-MVD", start + timedelta(days=14)),
            "a task for BLR-MVD")  # fmt: skip
    act(d, oid, LEAD, link(earlier_request(d, "KAZ-MVD")), "its request to Russia")
    act(d, oid, "rus-mvd.officer", link(earlier_request(d, "RUS-MVD")),
        "its request to Kazakhstan")  # fmt: skip
    attempt(d, oid, "rus-fsb.officer", OperationCommand(A.REPORT, text="Сервер установлен"),
            "a report on the operation")  # fmt: skip

    d.advance(days=10)
    rus_task, kgz_task = current(d, oid).operation.tasks
    act(d, oid, "rus-mvd.officer", OperationCommand(
        A.REPORT, task_id=rus_task.id,
        text="Три сервера в AS64500, 14 доменов зарегистрированы на одно лицо",
    ))  # fmt: skip
    act(d, oid, "rus-mvd.officer", OperationCommand(A.COMPLETE_TASK, task_id=rus_task.id))
    d.advance(days=6)
    act(d, oid, "kgz-mvd.officer", OperationCommand(
        A.REPORT, task_id=kgz_task.id, text="Курьер установлен и задержан в Бишкеке",
    ))  # fmt: skip
    act(d, oid, "kgz-mvd.officer", OperationCommand(A.COMPLETE_TASK, task_id=kgz_task.id))
    d.advance(days=3)
    act(d, oid, LEAD, OperationCommand(A.REPORT, text="Задержаны два организатора в Алматы"))

    d.advance(days=2)
    attempt(d, oid, LEAD, OperationCommand(A.CLOSE, text=SUMMARY),
            "a summary signed")  # fmt: skip
    act(d, oid, HEAD, OperationCommand(A.CLOSE, text=SUMMARY), "the joint summary, signed")
    show_copies(d, oid)
    return oid


def current(d: Demo, oid: str, node_id: str | None = None) -> StoredOperation:
    """The operation as one node holds it (the lead's by default)."""
    node = d.fed.nodes[node_id] if node_id else d.node(LEAD)
    with SqlUnitOfWork(node.engine) as uow:
        return OperationRepository(uow.connection).get(oid)


@dataclass(frozen=True, slots=True)
class Copy:
    node_id: str
    stored: StoredOperation
    #: The head's signature verifies over the close as this copy records it, with the key
    #: the lead's node holds for the head.
    verified: bool


def copies(d: Demo, oid: str) -> list[Copy]:
    """The operation on the node of each participating body, and its summary's signature."""
    lead = d.node(HEAD)
    head_key = lead.peers.officer_keys[HEAD].public
    with SqlUnitOfWork(lead.engine) as uow:
        head = uow.registry.officer(HEAD)
    out = []
    for body_id in BODIES:
        node = d.node(body_id)
        stored = current(d, oid, node.node_id)
        out.append(Copy(node.node_id, stored, _verifies(stored, head, lead.node_id, head_key)))
    return out


def _verifies(stored: StoredOperation, head: Officer, lead_node: str, head_key: bytes) -> bool:
    op = stored.operation
    if stored.summary_signature is None or op.summary is None:
        return False
    signature = OfficerSignature.from_json(stored.summary_signature)
    # The body of the update that closed it, rebuilt from this copy: the version it applied
    # to, the head as the lead's node knows the head, the summary and its time.
    command = OperationCommand(A.CLOSE, text=op.summary.text)
    body = action_body(op.id, op.version - 1, command, head, lead_node, op.summary.signed_at)
    try:
        verify_officer_signature(body, signature)
    except CryptoError:
        return False
    return signature.officer_id == head.id and signature.public_key == head_key


def show_copies(d: Demo, oid: str) -> None:
    found = copies(d, oid)
    d.say(
        "   the operation on each participant's node: "
        + "  =  ".join(
            f"{c.node_id} {c.stored.operation.state.value} v{c.stored.operation.version}"
            for c in found
        )
    )
    [fingerprint] = {
        OfficerSignature.from_json(c.stored.summary_signature).key_fingerprint
        for c in found
        if c.stored.summary_signature is not None
    }
    verdict = "verifies" if all(c.verified for c in found) else "DOES NOT VERIFY"
    d.say(
        f"   the summary's signature by {HEAD} (key {fingerprint[:16]}…) {verdict} on "
        f"{', '.join(c.node_id for c in found if c.verified)}"
    )
