"""Serve a node API from a thread of the current process (the demo's seven nodes, the tests).

``ozara serve`` runs uvicorn in the main thread; here the caller keeps its thread and the
server stops when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def running(
    config: uvicorn.Config,
    start_timeout: float = 15,
    sock: socket.socket | None = None,
) -> Iterator[uvicorn.Server]:
    """Run a uvicorn server in a daemon thread until the block ends.

    ``sock``: a socket already bound (``bound_socket``), so that nobody can take the port
    between choosing it and serving on it.
    """
    server = uvicorn.Server(config)
    sockets = None if sock is None else [sock]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": sockets}, name=f"uvicorn-{config.port}", daemon=True
    )
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


def bound_socket(preferred: int = 0, host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound on ``host``: to ``preferred`` if it is free, else to any free port."""
    for port in (preferred, 0) if preferred else (0,):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            # Listening at once: a bound socket that does not listen yet can be bound again
            # by another SO_REUSEADDR socket (a second demo, a test running beside it).
            sock.listen(128)
        except OSError:
            sock.close()
            continue
        return sock
    raise OSError(f"no free port on {host}")
