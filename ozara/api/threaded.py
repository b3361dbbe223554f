"""Serve a node API from a thread of the current process (the demo's seven nodes, the tests).

``ozara serve`` runs uvicorn in the main thread; here the caller keeps its thread and the
server stops when the block ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def running(config: uvicorn.Config, start_timeout: float = 15) -> Iterator[uvicorn.Server]:
    """Run a uvicorn server in a daemon thread until the block ends."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{config.port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the server on port {config.port} did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)
