"""Local servers the probe tests watch: an HTTP(S) server answering from a route table, with a
free port each, and a probe factory."""
import json
import ssl
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


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


def self_signed_tls(tmp_path, not_after: datetime) -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate for 127.0.0.1 expiring then."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(datetime.now(timezone.utc) - timedelta(days=1)).not_valid_after(not_after)
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
