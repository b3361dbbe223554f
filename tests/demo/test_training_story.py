"""The demo's training story (``ozara.demo.training.play``: a seminar with nominations,
Art. 5 para 4) on the demo's seven nodes over HTTP, on its own: every refusal names its
article and every node ends with the host's version of the event."""

from __future__ import annotations

from pathlib import Path

from ozara.core.training import EventState, NominationState
from ozara.demo import training
from ozara.demo.federation import running_federation
from ozara.demo.scenario import START, Demo
from ozara.store.training import TrainingRepository
from ozara.store.uow import SqlUnitOfWork


def test_a_seminar_with_nominations_across_the_demo_nodes(tmp_path: Path) -> None:
    with running_federation(tmp_path / "fed", START, 48700) as fed:
        d = Demo(fed)
        eid = training.play(d)
        copies = {}
        for node_id in ("KAZ-NODE", "RUS-NODE", "BLR-NODE", "KGZ-NODE"):
            with SqlUnitOfWork(fed.nodes[node_id].engine) as uow:
                copies[node_id] = TrainingRepository(uow.connection).get(eid).event
    out = "\n".join(d.lines)
    host = copies["KAZ-NODE"]
    assert host.state is EventState.HELD
    assert [n.state for n in host.nominations] == [
        NominationState.CONFIRMED, NominationState.DECLINED, NominationState.WITHDRAWN,
    ]  # fmt: skip
    for copy in copies.values():
        assert copy.version == host.version
        assert [(n.id, n.state) for n in copy.nominations] == [
            (n.id, n.state) for n in host.nominations
        ]
    refused = [line for line in d.lines if "REFUSED" in line]
    assert len(refused) == 3 and all(line.endswith("(Art. 5 para 4)") for line in refused)
    assert "training_announcement KAZ-NODE → RUS-NODE: delivered" in out
    assert "training_action RUS-NODE → KAZ-NODE: delivered" in out
    assert "Traceback" not in out
