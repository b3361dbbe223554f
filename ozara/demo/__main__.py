"""``make demo``: a fresh node database, the scenario, its timeline; then serve it.

With ``OZARA_DEMO_EXIT=1`` it exits after printing. Otherwise it serves the timeline
at http://127.0.0.1:8700/ (``OZARA_DEMO_PORT``) until Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ozara.demo.scenario import report, run
from ozara.store.db import make_engine


def main() -> int:
    path = Path(os.environ.get("OZARA_DEMO_DB", "var/demo.sqlite3"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    text = report(run(engine))
    print(text)
    print(
        f"\nDatabase: {path} — try: OZARA_DATABASE_URL=sqlite:///{path} "
        ".venv/bin/ozara request list --as kaz-mvd.officer"
    )
    if os.environ.get("OZARA_DEMO_EXIT") == "1":
        return 0
    return serve(text, int(os.environ.get("OZARA_DEMO_PORT", "8700")))


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
