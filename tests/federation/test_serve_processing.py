"""`ozara serve` applies what its inbox accepted in a background pass (the processor thread)."""

from __future__ import annotations

import threading
import time

from ozara.cli.serve import process_inbox_forever
from ozara.federation import broadcast_designation
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.nodefiles import NodeConfig
from tests.federation.conftest import SECRETARY, WorldFactory
from tests.federation.test_broadcast import KNB


def test_the_serve_processor_applies_a_received_designation(make_world: WorldFactory) -> None:
    w = make_world("rus")
    with SqlUnitOfWork(w.sec.engine) as uow:
        broadcast_designation(
            uow, KNB, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    w.deliver(w.sec)
    node = NodeConfig(w.rus.keys, w.rus.trust(), w.rus.trust.secretariat_key)
    stop = threading.Event()
    thread = threading.Thread(
        target=process_inbox_forever, args=(w.rus.engine, w.rus.trust, node, stop)
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with SqlUnitOfWork(w.rus.engine) as uow:
                if uow.registry.registry().get(KNB.id) is not None:
                    break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=10)
    with SqlUnitOfWork(w.rus.engine) as uow:
        assert uow.registry.registry().get(KNB.id) == KNB
