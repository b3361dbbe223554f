"""The demo's operation story (``ozara.demo.operations.play``: a coordinated operation of
three Parties, Art. 5 para 3) on the demo's seven nodes over HTTP, on its own: invited heads
answer on their own nodes, the refusals name their article, and every participant's node
ends with the closed operation at the lead's version and a summary whose signature
verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ozara.core.lifecycle import Action
from ozara.core.operations import Answer, LinkKind, OperationState
from ozara.demo import operations
from ozara.demo.federation import running_federation
from ozara.demo.scenario import START, Demo, _doc
from ozara.documents import OfficerSignature


def requests_to_link(d: Demo) -> tuple[str, str]:
    """What the first stories leave for the operation: a Kazakh and a Russian request."""
    kaz = d.create("kaz-mvd.officer", _doc("KAZ-MVD", "RUS-MVD", "Фишинг", "ст. 190 УК РК"), "")
    rus = d.create("rus-mvd.officer", _doc("RUS-MVD", "KAZ-MVD", "Кошельки", "ст. 272 УК РФ"), "")
    for rid, head, officer in ((kaz, "kaz-mvd.head", "kaz-mvd.officer"),
                               (rus, "rus-mvd.head", "rus-mvd.officer")):  # fmt: skip
        d.act(rid, head, Action.SIGN)
        d.act(rid, officer, Action.SEND)
    return kaz, rus


def test_a_coordinated_operation_across_the_demo_nodes(tmp_path: Path) -> None:
    with running_federation(tmp_path / "fed", START, 48750) as fed:
        d = Demo(fed)
        kaz_request, rus_request = requests_to_link(d)
        d.now = START + timedelta(days=3)
        d.lines.clear()
        oid = operations.play(d)
        copies = operations.copies(d, oid)
        head_key = fed.nodes["KAZ-NODE"].peers.officer_keys["kaz-mvd.head"].public
    out = "\n".join(d.lines)
    assert [c.node_id for c in copies] == ["KAZ-NODE", "RUS-NODE", "KGZ-NODE", "BLR-NODE"]
    lead = copies[0].stored.operation
    assert lead.state is OperationState.CLOSED and lead.summary is not None
    assert lead.summary.signed_by == "kaz-mvd.head"
    assert [(p.body_id, p.answer) for p in lead.participants] == [
        ("RUS-MVD", Answer.ACCEPTED), ("KGZ-MVD", Answer.ACCEPTED), ("BLR-MVD", Answer.DECLINED),
    ]  # fmt: skip
    assert lead.participants[2].reason.startswith("Силы подразделения")
    assert [(t.body_id, t.done_at is not None) for t in lead.tasks] == [
        ("RUS-MVD", True), ("KGZ-MVD", True),
    ]  # fmt: skip
    assert all(lead.plan.period_from <= t.due <= lead.plan.period_to for t in lead.tasks)
    assert [(k.kind, k.ref, k.body_id) for k in lead.links] == [
        (LinkKind.REQUEST, kaz_request, "KAZ-MVD"), (LinkKind.REQUEST, rus_request, "RUS-MVD"),
    ]  # fmt: skip
    assert [r.body_id for r in lead.reports] == ["RUS-MVD", "KGZ-MVD", "KAZ-MVD"]
    for copy in copies:
        op = copy.stored.operation
        assert (op.state, op.version) == (OperationState.CLOSED, lead.version)
        assert [(p.body_id, p.answer) for p in op.participants] == [
            (p.body_id, p.answer) for p in lead.participants
        ]
        assert [(t.id, t.done_at) for t in op.tasks] == [(t.id, t.done_at) for t in lead.tasks]
        assert [r.id for r in op.reports] == [r.id for r in lead.reports]
        assert op.summary is not None and op.summary.text == lead.summary.text
        # The head's signature, with the head's key, over the close as this copy has it.
        assert copy.verified and copy.stored.summary_signature is not None
        signature = OfficerSignature.from_json(copy.stored.summary_signature)
        assert signature.officer_id == "kaz-mvd.head" and signature.public_key == head_key
    # Each refusal printed with its rule's article.
    refused = [line for line in d.lines if "REFUSED" in line]
    assert len(refused) == 3 and all(line.endswith("(Art. 5 para 3)") for line in refused)
    assert "REFUSED a report on the operation by rus-fsb.officer" in out
    assert "RUS-FSB is not invited to it" in out
    assert "REFUSED a task for BLR-MVD by kaz-mvd.officer" in out
    assert "BLR-MVD has not accepted the invitation" in out
    assert "REFUSED a summary signed by kaz-mvd.officer" in out
    # Invited heads answered on their own nodes; the lead's node ordered and relayed.
    assert "operation_proposal KAZ-NODE → BLR-NODE: delivered" in out
    assert "operation_action RUS-NODE → KAZ-NODE: delivered, receipt verified; applied" in out
    assert "operation_update KAZ-NODE → KGZ-NODE: delivered, receipt verified; applied" in out
    assert "signature by kaz-mvd.head" in out and "verifies on KAZ-NODE, RUS-NODE" in out
    assert all(h.processing.startswith("applied") for h in fed.hops), fed.hops
    assert "Traceback" not in out
