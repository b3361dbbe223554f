"""A private, throw-away PostgreSQL server for the tests.

``OZARA_TEST_POSTGRES_URL`` points the tests at an existing server instead. Otherwise
``initdb`` makes a cluster in a temporary directory, listening only on a Unix socket
there and on a free loopback port; when run as root (CI), the server runs as the
``postgres`` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: run `make test`, which installs PostgreSQL")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def private_server(durable: bool = False) -> Iterator[str]:
    """Yield the URL of a fresh server; ``durable`` keeps fsync on (for benchmarks)."""
    existing = os.environ.get("OZARA_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    base = Path(tempfile.mkdtemp(prefix="ozara-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        base.chmod(0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    speed = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    subprocess.run(
        [*prefix, _bin("initdb"), "-D", str(data), "-U", "ozara", "-A", "trust", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    log = base / "server.log"
    if as_root:
        log.touch()
        shutil.chown(log, "postgres")
    subprocess.run(
        [*prefix, _bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
         f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 {speed}-c max_connections=200 "
         "-c shared_buffers=256MB",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://ozara@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        for _ in range(20):
            try:
                shutil.rmtree(base)
                break
            except OSError:
                time.sleep(0.1)
