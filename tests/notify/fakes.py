"""Local stand-ins for the vendors, on free ports: Apprise really sends to them.

- FakeVendor speaks WeCom (bot webhook, application gettoken/message/send), DingTalk's robot,
  Feishu's bot hook and any JSON webhook (an SMS gateway, a generic json:// hook). Each
  request is kept in `received`; `refuse(key)` makes it answer HTTP 200 with a non-zero
  errcode for that webhook key or token, as the real services do; `slow(key, seconds)`
  makes it answer late.
- FakeSMTP is an aiosmtpd server keeping the mails it received.

Point Lifeline at them with the settings LIFELINE_WECOM_API_BASE, LIFELINE_DINGTALK_API_BASE,
LIFELINE_FEISHU_API_BASE = vendor.url; channel URLs stay as in production (wecombot://KEY,
dingtalk://TOKEN, feishu://TOKEN), except email and JSON hooks, which name the host:
smtp.mailto("to@example.org") and f"json://{vendor.hostport}/sms/send?…".
"""
import email
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

WECOM_REFUSAL = {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1234]"}
DINGTALK_REFUSAL = {"errcode": 310000, "errmsg": "keywords not in content"}
FEISHU_REFUSAL = {"code": 19024, "msg": "Key Words Not Found"}


@dataclass
class Received:
    path: str
    query: dict
    body: dict

    @property
    def text(self) -> str:
        """The message text, whatever the vendor calls it."""
        body = self.body
        return (body.get("text", {}).get("content") or body.get("content", {}).get("text")
                or body.get("content") or body.get("message") or "")


@dataclass
class FakeVendor:
    received: list = field(default_factory=list)
    refused: set = field(default_factory=set)
    delays: dict = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def hostport(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.hostport}"

    def refuse(self, key: str):
        self.refused.add(key)

    def slow(self, key: str, seconds: float):
        self.delays[key] = seconds

    def texts(self, path_prefix: str = "/") -> list[str]:
        return [r.text for r in self.received if r.path.startswith(path_prefix)]

    def answer(self, path: str, query: dict, body: dict) -> tuple[int, dict]:
        key = (query.get("key") or query.get("access_token") or [path.rstrip("/").rsplit("/", 1)[-1]])[0]
        time.sleep(self.delays.get(key, 0))  # the vendor is slow, not the test
        if path == "/cgi-bin/gettoken":
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": "fake-token", "expires_in": 7200}
        self.received.append(Received(path, query, body))
        if path.startswith("/open-apis/bot/v2/hook/"):
            return 200, FEISHU_REFUSAL if key in self.refused else {"code": 0, "msg": "success", "data": {}}
        if path.startswith("/robot/send"):
            return 200, DINGTALK_REFUSAL if key in self.refused else {"errcode": 0, "errmsg": "ok"}
        if path.startswith("/cgi-bin/"):
            return 200, WECOM_REFUSAL if key in self.refused else {"errcode": 0, "errmsg": "ok"}
        return 200, {"ok": True}

    def start(self) -> "FakeVendor":
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"raw": raw.decode("utf-8", "replace")}
                status, answer = vendor.answer(parts.path, parse_qs(parts.query), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up on a slow answer is what the slow-channel test wants


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakeSMTP:
    """An SMTP server on a free port; `mails` are email.message.EmailMessage objects."""

    def __init__(self):
        self.mails = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def start(self) -> "FakeSMTP":
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def mailto(self, to: str) -> str:
        """The Apprise URL that mails `to` through this server."""
        return f"mailto://127.0.0.1:{self.port}?from=lifeline@example.org&to={to}"

    def bodies(self) -> list[str]:
        return [mail.get_body(("plain",)).get_content() for mail in self.mails]
