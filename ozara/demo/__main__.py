"""``make demo``: seven fresh nodes on localhost, the scenario across them, its timeline.

With ``OZARA_DEMO_EXIT=1`` it exits after printing. Otherwise the nodes keep serving their
APIs (ports 8701–8707 when free) and the timeline is served at http://127.0.0.1:8700/
(``OZARA_DEMO_PORT``) until Ctrl-C. The node directories are under ``var/federation``
(``OZARA_DEMO_DIR``).
"""

from __future__ import annotations

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ozara.demo.federation import ACCOUNTS_FILE, DEMO_PASSWORD, running_federation
from ozara.demo.scenario import START, report, run


def main() -> int:
    root = Path(os.environ.get("OZARA_DEMO_DIR", "var/federation"))
    port = int(os.environ.get("OZARA_DEMO_PORT", "8700"))
    print("Starting seven nodes on localhost...", flush=True)
    with running_federation(root, START, port) as fed:
        text = report(run(fed))
        print(text)
        kaz = fed.nodes["KAZ-NODE"].directory / "node.sqlite3"
        print(
            f"\nNode directories: {root}/<node>/ — try: OZARA_DATABASE_URL=sqlite:///{kaz} "
            ".venv/bin/ozara request list --as kaz-mvd.officer"
        )
        if os.environ.get("OZARA_DEMO_EXIT") == "1":
            return 0
        # From here on people use the nodes: real time (their TOTP codes follow it), and
        # documents keep moving between the nodes in the background.
        fed.clock.live = True
        stop = threading.Event()
        pump = threading.Thread(target=fed.pump_forever, args=(stop,), daemon=True)
        pump.start()
        print(
            "\nEvery node also serves the officers' web application at its URL. Sign in as any "
            f"officer of that node, e.g. kaz-mvd.officer at {fed.nodes['KAZ-NODE'].url}/ with "
            f"the password {DEMO_PASSWORD!r}; each officer's TOTP secret is in "
            f"{root / ACCOUNTS_FILE} (a code: .venv/bin/python -c "
            "\"import pyotp; print(pyotp.TOTP('SECRET').now())\").",
            flush=True,
        )
        try:
            return serve(text, port)
        finally:
            stop.set()
            pump.join(timeout=10)


def serve(text: str, port: int) -> int:
    body = text.encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as e:
        print(
            f"Cannot listen on 127.0.0.1:{port} ({e.strerror}); set OZARA_DEMO_PORT.",
            file=sys.stderr,
        )
        return 1
    print(f"Serving the timeline at http://127.0.0.1:{port}/ — Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
