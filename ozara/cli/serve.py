"""``ozara serve``: the node-to-node API (``ozara.api.node``) under uvicorn, and the delivery
worker that empties this node's outbox, with the node's files from ``--node-dir``.

The node directory holds ``keys.json``, ``trust-list.json`` and ``secretariat.json``
(``ozara/transport/nodefiles.py`` describes them). With ``--tls-cert`` and ``--tls-key`` the
API is served over HTTPS; adding ``--tls-client-ca`` makes it mutual TLS: a peer without a
client certificate issued by that CA cannot connect. The worker presents the same certificate
to the nodes it sends to and verifies them against the same CA. An optional ``mail.json``
there turns on e-mail alerts of new correlations (``ozara/notify/smtp.py``).
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.config import LOGGING_CONFIG

from ozara.api.node import create_app
from ozara.cli.common import (
    DatabaseOpt,
    engine_for,
    fail,
    node_files,
    node_trust,
    utc_now,
)
from ozara.cli.correlate import correlate_forever
from ozara.cli.notifications import mail_forever
from ozara.federation.checkpoints import send_checkpoint
from ozara.federation.dispatch import process_inbox
from ozara.federation.requests import FederatedPeers
from ozara.federation.statistics import send_report
from ozara.federation.trust_store import TrustHolder
from ozara.notify.smtp import MailConfigError, SmtpConfig, load_config
from ozara.ops import install_operations
from ozara.ops.logs import LOG_FORMATS, configure, logging_config
from ozara.store import at_rest, db
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import DeliveryWorker, HttpxTransport, Inbox
from ozara.transport.http import client_tls_context
from ozara.transport.inbox import MAX_DOCUMENT_BYTES
from ozara.transport.nodefiles import NodeConfig
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig

#: Lines for the operator (JSON with ``--log-format json``; as before, bare, without it).
_log = logging.getLogger("ozara.serve")


def _file_option(help_text: str) -> object:
    return typer.Option(exists=True, dir_okay=False, readable=True, help=help_text)


CertOpt = Annotated[Path | None, _file_option("PEM certificate (chain): serve HTTPS.")]
KeyOpt = Annotated[Path | None, _file_option("PEM private key of --tls-cert.")]
ClientCaOpt = Annotated[
    Path | None, _file_option("PEM CA bundle: require client certificates (mutual TLS).")
]


def server_config(
    app: FastAPI,
    host: str,
    port: int,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    tls_client_ca: Path | None = None,
    log_config: dict[str, Any] | None = None,
) -> uvicorn.Config:
    """uvicorn's configuration; mutual TLS when a client CA is given."""
    if (tls_cert is None) != (tls_key is None):
        fail("--tls-cert and --tls-key go together", 2)
    if tls_client_ca is not None and tls_cert is None:
        fail("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key", 2)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=None if tls_cert is None else str(tls_cert),
        ssl_keyfile=None if tls_key is None else str(tls_key),
        ssl_ca_certs=None if tls_client_ca is None else str(tls_client_ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED if tls_client_ca is not None else ssl.CERT_NONE,
        ws="none",
        lifespan="off",
        log_config=LOGGING_CONFIG if log_config is None else log_config,
        log_level="info",
        # Every accepted or refused document is recorded in the node's own tables (inbox,
        # rejections); a line per HTTP request would only cost time on the hot path.
        access_log=False,
    )


def serve(
    node_dir: Annotated[
        Path,
        typer.Option(
            "--node-dir",
            envvar="OZARA_NODE_DIR",
            file_okay=False,
            help="keys.json, trust-list.json, secretariat.json (see ozara/transport/nodefiles.py).",
        ),
    ],
    database: DatabaseOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8443,
    tls_cert: CertOpt = None,
    tls_key: KeyOpt = None,
    tls_client_ca: ClientCaOpt = None,
    max_bytes: Annotated[
        int, typer.Option(min=1024, help="Largest sealed document accepted, in bytes.")
    ] = MAX_DOCUMENT_BYTES,
    deliver: Annotated[
        bool, typer.Option(help="Also run the delivery worker for this node's outbox.")
    ] = True,
    delivery_concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Documents the worker sends at once.")
    ] = 4,
    web: Annotated[
        bool, typer.Option(help="Also serve the officers' web application at /.")
    ] = True,
    log_format: Annotated[
        str, typer.Option(help="Logs on stderr: text (as before) or json (one object a line).")
    ] = "text",
    metrics_token: Annotated[
        str | None,
        typer.Option(
            envvar="OZARA_METRICS_TOKEN",
            help="Bearer token for GET /metrics; without one, loopback clients only.",
        ),
    ] = None,
    checkpoint_minutes: Annotated[
        int,
        typer.Option(
            "--checkpoint-every",
            min=0,
            help="Minutes between audit checkpoints sent to the peers (0: none).",
        ),
    ] = 60,
) -> None:
    """Serve the node-to-node API (POST /v1/documents, GET /v1/health, /openapi.json) and
    the officers' web application (/). With mutual TLS, browsers present a certificate too."""
    node = node_files(node_dir)
    try:
        mail = load_config(node_dir)  # DIR/mail.json: alerts of new correlations by e-mail
    except MailConfigError as exc:
        fail(f"--node-dir: {exc}", 2)
    if log_format not in LOG_FORMATS:
        fail(f"--log-format: {log_format!r}; one of: {', '.join(LOG_FORMATS)}", 2)
    config_ssl = (tls_cert, tls_key, tls_client_ca)
    log_config = None
    if log_format == "json":
        configure(log_format, node.keys.node_id)
        log_config = logging_config(log_format, node.keys.node_id)
    engine = engine_for(database, node_dir)
    if at_rest.keyring_of_engine(engine) is None:
        _log.warning(
            "no at-rest keyring in %s: files and case contents are stored in clear; "
            "run `ozara keys init`",
            at_rest.KEYRING_FILE,
        )
    db.upgrade(engine)
    # The trust list of the files, or a newer one adopted from the Secretariat since.
    trust = node_trust(engine, node)
    inbox = Inbox(engine, node.keys, trust, utc_now, max_bytes=max_bytes)
    app = create_app(inbox)
    # /healthz, /readyz, /metrics and the request id: before the web application's mount.
    install_operations(app, engine, node_dir, clock=utc_now, metrics_token=metrics_token,
                       log_requests=log_format == "json")  # fmt: skip
    if web:
        peers = FederatedPeers(node.keys, trust, node.officer_keys)
        config = WebConfig(engine, utc_now, node.keys.node_id, peers, secure_cookies=bool(tls_cert))
        app.mount("/", create_web_app(config))
    server = uvicorn.Server(server_config(app, host, port, *config_ssl, log_config=log_config))
    stop = threading.Event()
    background = _start_background(engine, trust, node, stop, checkpoint_minutes, mail)
    worker_thread: threading.Thread | None = None
    if deliver:
        tls = None
        if tls_cert is not None:
            ca = None if tls_client_ca is None else str(tls_client_ca)
            tls = client_tls_context(str(tls_cert), str(tls_key), ca)
        worker = DeliveryWorker(
            engine,
            node.keys,
            trust,
            HttpxTransport(tls=tls),
            clock=utc_now,
            rng=random.SystemRandom(),
            concurrency=delivery_concurrency,
        )
        worker_thread = threading.Thread(
            target=worker.run_forever, args=(stop,), name="ozara-delivery", daemon=True
        )
        worker_thread.start()
    scheme = "https" if tls_cert else "http"
    typer.echo(
        f"Node {node.keys.node_id} (trust list version {trust().current.version}) at "
        f"{scheme}://{host}:{port}/v1/documents"
        + (", mutual TLS" if tls_client_ca else "")
        + (f"; web application at {scheme}://{host}:{port}/" if web else "")
        + (f"; e-mail alerts via {mail.host}:{mail.port}" if mail else "")
    )
    try:
        server.run()
    finally:
        stop.set()
        for thread in background:
            thread.join(timeout=10)
        if worker_thread is not None:
            worker_thread.join(timeout=10)
        engine.dispose()


def _start_background(
    engine: Engine,
    trust: TrustHolder,
    node: NodeConfig,
    stop: threading.Event,
    minutes: int,
    mail: SmtpConfig | None = None,
) -> list[threading.Thread]:
    """The inbox processor, the statistics reporter, the correlation worker, the audit
    checkpoints and, where ``mail.json`` configures it, the mailer of correlation alerts
    (outside the storing transactions: a slow or dead SMTP server delays only the mail)."""
    jobs: list[tuple[str, Any, dict[str, Any]]] = [
        ("ozara-inbox", process_inbox_forever, {}),
        ("ozara-statistics", report_statistics_forever, {}),
        ("ozara-correlation", correlate_forever, {}),
    ]
    if minutes:
        jobs.append(("ozara-checkpoints", send_checkpoints_forever, {"every": minutes * 60.0}))
    if mail is not None:
        jobs.append(("ozara-mail", mail_forever, {"config": mail}))
    threads = []
    for name, target, kwargs in jobs:
        thread = threading.Thread(
            target=target, args=(engine, trust, node, stop), kwargs=kwargs, daemon=True,
            name=name,
        )  # fmt: skip
        thread.start()
        threads.append(thread)
    return threads


def report_statistics_forever(
    engine: Engine,
    trust: TrustHolder,
    node: NodeConfig,
    stop: threading.Event,
    every: float = 24 * 3600,
) -> None:
    """A Party node sends its figures to the Secretariat's node at start and once a day."""
    while not stop.is_set():
        state = trust()
        if node.keys.node_id != state.current.issuer:
            try:
                with SqlUnitOfWork(engine) as uow:
                    send_report(uow, utc_now(), keys=node.keys, trust=state)
            except Exception as exc:  # retried at the next beat; the node keeps serving
                _log.error("statistics report: %s: %s", exc.__class__.__name__, exc)
        stop.wait(every)


def send_checkpoints_forever(
    engine: Engine,
    trust: TrustHolder,
    node: NodeConfig,
    stop: threading.Event,
    every: float = 3600,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Sign the audit chain's head and send it to every peer (issue 7) every ``every``
    seconds: history after the last checkpoint the peers hold is protected by the chain
    alone (docs/audit.md). The first comes one interval after start, so that a node
    restarted in a loop does not flood its peers."""
    while not stop.wait(every):
        try:
            with SqlUnitOfWork(engine) as uow:
                send_checkpoint(uow, clock(), keys=node.keys, trust=trust())
        except Exception as exc:  # retried at the next beat; the node keeps serving
            _log.error("audit checkpoint: %s: %s", exc.__class__.__name__, exc)


def process_inbox_forever(
    engine: Engine, trust: TrustHolder, node: NodeConfig, stop: threading.Event
) -> None:
    """Apply what the inbox accepted (registry notices, trust lists), pass after pass.

    An unexpected error leaves the document for the next pass; it is printed, not fatal.
    """
    while not stop.is_set():
        try:
            done = process_inbox(engine, trust, now=utc_now(), keys=node.keys)
        except Exception as exc:  # the API keeps serving; the row is retried next pass
            _log.error("inbox processing: %s: %s", exc.__class__.__name__, exc)
            done = []
        if not done:
            stop.wait(1.0)
