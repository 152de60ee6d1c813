"""Sending one text to one Apprise URL, and saying why it failed.

Every channel goes through Apprise. Three vendors need more than Apprise gives:

- WeCom bots, DingTalk and Feishu answer HTTP 200 with a non-zero `errcode` (Feishu:
  `code`) in the JSON body when they refuse a message (wrong key, keyword check, rate
  limit). Apprise only looks at the HTTP status, so their plugins are subclassed here: the
  subclass keeps Apprise's URL parsing, validation, signing and length limits, and posts
  the same text payload itself so that it can read the answer.
- Hospital intranets reach WeCom, DingTalk and Feishu through a proxy or gateway, so the
  vendor's address comes from LIFELINE_*_API_BASE (tests point it at local fakes).

Apprise reports why a send failed only in its log: the warnings logged by the sending
thread are kept as the error text.
"""
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import apprise
import requests
from apprise.common import NotifyFormat
from apprise.plugins import N_MGR, url_to_dict
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.wechat import NotifyWeChat
from apprise.plugins.wecombot import NotifyWeComBot
from django.conf import settings

ERROR_MAX_CHARS = 2000
# Keys, tokens and secrets ride in channel URLs; error texts are shown on pages, so these go.
SECRET_PARAM = re.compile(r"(?i)\b(key|access_token|token|sign|secret|corpsecret)=[^&\s'\"]+")
SECRET_PIECE_CHARS = 16


class ChannelError(Exception):
    """The URL names no channel Apprise can use."""


@dataclass
class Outcome:
    ok: bool
    error: str = ""
    duration_ms: int = 0


class _CheckedAnswer:
    """Posts the vendor's JSON and takes a 200 whose body carries a non-zero code as a refusal."""

    api_base_setting = ""
    code_keys = ("errcode",)

    def _post_checked(self, path: str, payload: dict, params: dict | None = None) -> bool:
        url = getattr(settings, self.api_base_setting).rstrip("/") + path
        self.throttle()
        try:
            answer = requests.post(
                url, params=params, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"User-Agent": self.app_id, "Content-Type": "application/json; charset=utf-8"},
                verify=self.verify_certificate, timeout=self.request_timeout, allow_redirects=self.redirects)
        except requests.RequestException as exc:
            self.logger.warning("%s not reached: %s", self.service_name, exc)
            return False
        if answer.status_code != requests.codes.ok:
            self.logger.warning("%s answered HTTP %s: %s", self.service_name, answer.status_code, answer.text[:300])
            return False
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.logger.warning("%s answered something other than a JSON object: %s",
                                self.service_name, answer.text[:300])
            return False
        key = next((k for k in self.code_keys if k in body), None)
        if key is None or body[key] != 0:
            self.logger.warning("%s refused the message: %s=%s %s", self.service_name, key or self.code_keys[0],
                                body.get(key), body.get("errmsg") or body.get("msg") or "")
            return False
        return True


class WeComBot(_CheckedAnswer, NotifyWeComBot):
    api_base_setting = "LIFELINE_WECOM_API_BASE"

    def send(self, body, title="", notify_type=None, **kwargs):
        return self._post_checked("/cgi-bin/webhook/send", {"msgtype": "text", "text": {"content": body}},
                                  params={"key": self.key})


class DingTalk(_CheckedAnswer, NotifyDingTalk):
    api_base_setting = "LIFELINE_DINGTALK_API_BASE"

    def send(self, body, title="", notify_type=None, **kwargs):
        params = {"access_token": self.token}
        if self.secret:
            timestamp, sign = self.get_signature()
            # Apprise quotes the signature for a URL; requests quotes the parameters itself.
            params.update(timestamp=timestamp, sign=unquote(sign))
        payload = {"msgtype": "text", "text": {"content": body},
                   "at": {"atMobiles": self.targets, "isAtAll": False}}
        return self._post_checked("/robot/send", payload, params=params)


class Feishu(_CheckedAnswer, NotifyFeishu):
    api_base_setting = "LIFELINE_FEISHU_API_BASE"
    code_keys = ("code", "StatusCode")

    def send(self, body, title="", notify_type=None, **kwargs):
        return self._post_checked(f"/open-apis/bot/v2/hook/{self.token}", {"msg_type": "text",
                                                                            "content": {"text": body}})


class WeComApp(NotifyWeChat):
    """WeCom application messages: Apprise checks their errcode already; only the address moves."""

    # Apprise waits 5.5 s between two requests of one plugin, here between fetching the access
    # token and sending: a page would leave 5.5 s late for nothing (one send is one message).
    request_rate_per_sec = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        base = settings.LIFELINE_WECOM_API_BASE.rstrip("/")
        self.token_url = f"{base}/cgi-bin/gettoken"
        self.notify_url = f"{base}/cgi-bin/message/send"


REPLACEMENTS = {NotifyWeComBot: WeComBot, NotifyDingTalk: DingTalk, NotifyFeishu: Feishu, NotifyWeChat: WeComApp}
ASSET = apprise.AppriseAsset(app_id="Lifeline", app_desc="Lifeline")


def plugin_for(url: str):
    """The Apprise plugin for a URL (vendor URLs pasted as they are work too), with short timeouts."""
    results = url_to_dict(url)
    if not results:
        raise ChannelError(f"Apprise does not understand this URL: {scheme_of(url)}://…")
    cls = N_MGR[results["schema"]]
    cls = REPLACEMENTS.get(cls, cls)
    # A URL may set its own timeouts (?cto=…&rto=…); otherwise a dead channel costs seconds, not minutes.
    results.setdefault("cto", settings.LIFELINE_NOTIFY_TIMEOUT)
    results.setdefault("rto", settings.LIFELINE_NOTIFY_TIMEOUT)
    try:
        return cls(**{**results, "asset": ASSET})
    except Exception as exc:  # Apprise says what is wrong with the URL by raising
        raise ChannelError(f"{cls.service_name}: {exc}") from exc


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else ""


class _ThreadWarnings(logging.Handler):
    """Apprise's warnings logged by this thread only (other threads send at the same time)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record):
        if record.thread == self.thread:
            self.lines.append(record.getMessage())

    def __enter__(self):
        logging.getLogger("apprise").addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger("apprise").removeHandler(self)


def send(url: str, body: str, title: str = "") -> Outcome:
    """Send a text; the title goes only where the channel has one of its own (an email's subject)."""
    started = time.monotonic()
    with _ThreadWarnings() as warnings:
        try:
            plugin = plugin_for(url)
            ok = plugin.notify(body=body, title=title if plugin.title_maxlen > 0 else "",
                               body_format=NotifyFormat.TEXT)
        except ChannelError as exc:
            ok, warnings.lines = False, [str(exc)]
        except Exception as exc:  # a plugin's own bug must not stop the other deliveries
            ok, warnings.lines = False, [*warnings.lines, repr(exc)]
    error = "" if ok else redact("; ".join(warnings.lines) or "the channel refused without saying why", url)
    return Outcome(bool(ok), error[:ERROR_MAX_CHARS], int((time.monotonic() - started) * 1000))


def redact(text: str, url: str) -> str:
    """The text without the URL's password, its long pieces (webhook keys) or key=… parameters."""
    pieces = {p for p in re.split(r"[/:@?&=#,+]", url.split("://", 1)[-1]) if len(p) >= SECRET_PIECE_CHARS}
    try:
        pieces.add(urlsplit(url).password or "")
    except ValueError:
        pass
    for piece in sorted(filter(None, pieces), key=len, reverse=True):
        text = text.replace(piece, "***")
    return SECRET_PARAM.sub(r"\1=***", text)
