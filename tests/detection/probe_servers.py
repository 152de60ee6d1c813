"""Local servers the probe tests watch: an HTTP(S) server answering from a route table, with a
free port each, real Prometheus exporters (Debian packages), and a probe factory."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Waiting for a real process to listen, not for our logic.
EXPORTER_START_SECONDS = 15


class Site:
    """Routes: {(method, path): handler(request) -> (status, body, headers)}; the requests it saw."""

    def __init__(self, routes=None):
        self.routes = dict(routes or {})
        self.seen = []
        self.server = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        scheme = "https" if isinstance(self.server.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://{host}:{port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def json_answer(data, status=200, headers=None):
    return status, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": "application/json",
                                                                   **(headers or {})}


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
            site.seen.append(self)
            route = site.routes.get((self.command, self.path.split("?")[0]))
            status, body, headers = route(self) if route else (404, b"not found", {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_HEAD = do_PUT = _answer

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def serve(routes=None, tls: ssl.SSLContext | None = None, port: int = 0):
    site = Site(routes)
    site.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(site))
    if tls:
        site.server.socket = tls.wrap_socket(site.server.socket, server_side=True)
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def exporter(binary: str, package: str, args=()):
    """A real Prometheus exporter listening on a free port of 127.0.0.1; yields its base URL.
    Not installed: the tests are skipped, but under CI=true they fail (the Makefile installs it)."""
    if not shutil.which(binary):
        message = f"{binary} is not installed (Debian package {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(f"SKIPPED: {message}")
    port = free_port()
    # Its log goes to a file, not a pipe nobody reads, which a talkative exporter would fill and block on.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", *args],
                                   stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_listening(f"http://127.0.0.1:{port}/metrics", process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


def _wait_listening(url: str, process: subprocess.Popen, log):
    deadline = time.monotonic() + EXPORTER_START_SECONDS
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                pytest.fail(f"{process.args[0]} did not start: {log.read().decode(errors='replace')[-500:]}")
            time.sleep(0.1)


def self_signed_tls(tmp_path, not_after: datetime) -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate for 127.0.0.1 expiring then."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(datetime.now(UTC) - timedelta(days=1)).not_valid_after(not_after)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def make_probe(name="HIS 门户", kind="http", config=None, **fields):
    from lifeline.detection.models import Probe

    config = config or {"url": "http://127.0.0.1:9/"}  # readings are fed by hand
    probe = Probe(name=name, kind=kind, config=config, **{"interval_seconds": 5, "timeout_seconds": 5,
                                                                   **fields})
    probe.full_clean()
    probe.save()
    return probe
