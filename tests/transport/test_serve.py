"""``ozara serve``: the node files, mutual TLS, and the command itself."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import Engine

from ozara.api.node import create_app
from ozara.cli.main import main
from ozara.cli.serve import server_config
from ozara.documents import seal
from ozara.transport import HttpxTransport, TransportError
from ozara.transport.http import client_tls_context
from ozara.transport.nodefiles import KEYS_FILE, NodeFilesError, load_node, write_node
from tests.conftest import Clock
from tests.documents.federation import Federation
from tests.transport.conftest import free_port, make_inbox, running, share


def test_node_files_round_trip(fed: Federation, tmp_path: Path) -> None:
    write_node(tmp_path, fed.rus, fed.trust_list, fed.secretariat.signing.public)
    assert (tmp_path / KEYS_FILE).stat().st_mode & 0o777 == 0o600
    node = load_node(tmp_path)
    assert node.keys == fed.rus and node.trust.current == fed.trust_list
    assert node.secretariat_key == fed.secretariat.signing.public


def test_a_trust_list_not_signed_by_the_anchor_is_refused(fed: Federation, tmp_path: Path) -> None:
    write_node(tmp_path, fed.rus, fed.trust_list, fed.kaz.signing.public)
    with pytest.raises(NodeFilesError, match=r"trust-list\.json: wrong_issuer"):
        load_node(tmp_path)


def test_mismatched_key_pairs_are_refused(fed: Federation, tmp_path: Path) -> None:
    write_node(tmp_path, fed.rus, fed.trust_list, fed.secretariat.signing.public)
    content = json.loads((tmp_path / KEYS_FILE).read_text())
    content["signing"]["public"] = content["encryption"]["public"]
    (tmp_path / KEYS_FILE).write_text(json.dumps(content))
    with pytest.raises(NodeFilesError, match="do not match"):
        load_node(tmp_path)


def test_serve_without_node_files_exits_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--node-dir", str(tmp_path)]) == 2
    assert "secretariat.json: no such file" in capsys.readouterr().err


def test_serve_refuses_a_client_ca_without_a_certificate(
    fed: Federation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_node(tmp_path, fed.rus, fed.trust_list, fed.secretariat.signing.public)
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    database = f"sqlite:///{tmp_path / 'node.sqlite3'}"
    argv = ["serve", "--node-dir", str(tmp_path), "--database", database]
    assert main([*argv, "--tls-client-ca", str(ca)]) == 2
    assert "needs --tls-cert and --tls-key" in capsys.readouterr().err


def test_ozara_serve_answers_on_loopback(fed: Federation, tmp_path: Path) -> None:
    write_node(tmp_path, fed.rus, fed.trust_list, fed.secretariat.signing.public)
    port = free_port()
    command = [sys.executable, "-m", "ozara.cli", "serve", "--node-dir", str(tmp_path)]
    command += ["--database", f"sqlite:///{tmp_path / 'node.sqlite3'}", "--port", str(port)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        assert reply.json() == {"status": "ok", "node": "RUS-MVD-NODE", "trust_list_version": 3}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert b"Node RUS-MVD-NODE (trust list version 3)" in output


# -- mutual TLS ------------------------------------------------------------------------


def _cert(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    usage: str,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, signing_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=usage == "ca", path_length=None), critical=True)
    )
    if usage == "server":
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif usage == "client":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    return builder.sign(signing_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_mutual_tls_admits_only_clients_with_a_certificate_from_the_ca(
    fed: Federation, other_store: Engine, clock: Clock, tmp_path: Path
) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Ozara test CA", ca_key, None, "ca")
    ca_path, _ = _write(tmp_path / "ca", ca, ca_key)
    keys = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("server", "client")}
    server_cert, server_key = _write(
        tmp_path / "server",
        _cert("rus", keys["server"], (ca.subject, ca_key), "server"),
        keys["server"],
    )
    client_cert, client_key = _write(
        tmp_path / "client",
        _cert("kaz", keys["client"], (ca.subject, ca_key), "client"),
        keys["client"],
    )
    port = free_port()
    config = server_config(
        create_app(make_inbox(fed, other_store, clock)),
        "127.0.0.1",
        port,
        Path(server_cert),
        Path(server_key),
        Path(ca_path),
    )
    config.log_level = "warning"
    endpoint = f"https://127.0.0.1:{port}"
    blob = seal(share(fed), fed.kaz, fed.rus.encryption.public)
    with running(config):
        with_cert = HttpxTransport(tls=client_tls_context(client_cert, client_key, ca_path))
        without_cert = HttpxTransport(tls=client_tls_context(ca=ca_path))
        try:
            assert with_cert.post(endpoint, blob).status == 200
            with pytest.raises(TransportError):
                without_cert.post(endpoint, blob)
        finally:
            with_cert.close()
            without_cert.close()
