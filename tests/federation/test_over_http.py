"""The Secretariat's designation travels over real HTTP on loopback to two Party nodes."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace

from ozara.api.node import create_app
from ozara.documents import TrustState
from ozara.federation import broadcast_designation
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import DeliveryState, HttpxTransport, entries
from tests.federation.conftest import SECRETARY, WorldFactory
from tests.federation.test_apply import request_to_knb_problems
from tests.federation.test_broadcast import KNB
from tests.transport.conftest import free_port, serving


def test_a_designation_over_http_is_applied_by_both_party_nodes(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    ports = {w.kaz.node_id: free_port(), w.rus.node_id: free_port()}
    loopback = tuple(
        replace(e, endpoint=f"http://127.0.0.1:{ports[e.node_id]}") if e.node_id in ports else e
        for e in w.fed.entries()
    )
    v4 = TrustState(w.fed.issue(4, loopback), frozenset())
    for node in (w.sec, w.kaz, w.rus):
        assert node.trust.adopt(v4)
    transport = HttpxTransport(timeout=10)
    w.sec.worker.transport = transport
    try:
        with ExitStack() as stack:
            for node in (w.kaz, w.rus):
                stack.enter_context(serving(create_app(node.inbox), port=ports[node.node_id]))
            with SqlUnitOfWork(w.sec.engine) as uow:
                broadcast_designation(
                    uow, KNB, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
                )
            w.deliver(w.sec)
    finally:
        transport.close()
    assert [e.state for e in entries(w.sec.engine)] == [DeliveryState.DELIVERED] * 2
    for node in (w.kaz, w.rus):
        [done] = node.process(w.clock)
        assert done.outcome == "applied"
    assert request_to_knb_problems(w.rus, w) == []
