"""HTTP for the probes (standard library only): one request, its status, body and time taken.

A 4xx/5xx answer is an answer, not an exception: the probe judges the status itself.
A client keeps cookies between requests, as a browser does in a synthetic transaction.
"""
import http.cookiejar
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography import x509
from django.utils.translation import gettext as _

from lifeline.detection.probes.reading import Failed

# Enough for a health page or a metrics page; a probe never downloads a file.
MAX_BODY_BYTES = 4 * 1024 * 1024
USER_AGENT = "Lifeline-probe/1"


def timed_out() -> str:
    return _("timed out")


class Unreachable(Exception):
    """No answer: refused, timed out, name not found, TLS failed."""


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict
    latency_ms: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def tls_context(verify: bool) -> ssl.SSLContext:
    if verify:
        return ssl.create_default_context()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Client:
    def __init__(self, timeout: float, verify_tls: bool = True):
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=tls_context(verify_tls)),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method: str, url: str, headers: dict | None = None, body: bytes | None = None) -> Answer:
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"User-Agent": USER_AGENT, **(headers or {})})
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read(MAX_BODY_BYTES)
                headers = dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, headers = error.code, error.read(MAX_BODY_BYTES), dict(error.headers)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise Unreachable(_reason(error)) from None
        return Answer(status, raw, headers, (time.monotonic() - started) * 1000)


def certificate_expires(url: str, timeout: float) -> datetime:
    """When the server's certificate expires (read even when it is not trusted: self-signed
    certificates are common inside a hospital, and they expire too)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as raw:
            with tls_context(verify=False).wrap_socket(raw, server_hostname=parts.hostname) as tls:
                der = tls.getpeercert(binary_form=True)
    except OSError as error:
        raise Unreachable(_reason(error)) from None
    return x509.load_der_x509_certificate(der).not_valid_after_utc


def _reason(error) -> str:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return timed_out()
    return str(reason.strerror if getattr(reason, "strerror", None) else reason)


def expect_status(status: int, expected: list[int]):
    if expected and status not in expected:
        raise Failed(_("HTTP %(status)s, expected %(expected)s") % {
            "status": status, "expected": ", ".join(map(str, expected))})
    if not expected and not 200 <= status < 400:
        raise Failed(f"HTTP {status}")


def json_field(answer: Answer, path: str):
    """The value at a dotted path (data.items.0.status) of a JSON answer."""
    try:
        found = json.loads(answer.body)
    except ValueError:
        raise Failed(_("the answer is not JSON")) from None
    for part in path.split("."):
        if isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        elif isinstance(found, dict) and part in found:
            found = found[part]
        else:
            raise Failed(_("the JSON answer has no %(path)s") % {"path": path})
    return found


def number(found, what: str) -> float:
    not_a_number = Failed(_("%(what)s is not a number: %(found)r") % {"what": what, "found": found})
    if isinstance(found, bool):
        raise not_a_number
    try:
        return float(found)
    except (TypeError, ValueError):
        raise not_a_number from None


def as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
