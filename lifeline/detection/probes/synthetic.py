"""Synthetic transactions: a scripted sequence of HTTP steps with a test account, as a patient
would go (log in, then book a registration — seed 001's "use a test account to act as a
patient").

Steps share cookies. `${name}` in a step's address, headers or body takes a variable: from
`variables`, from `variables_env` (the test account's secrets, read from the environment), or
extracted from an earlier step's JSON answer (`extract: {"token": "data.token"}`). The whole
sequence has the probe's timeout; a failure names the step.
"""
import json
import os
import re
import time
from datetime import datetime
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from lifeline.detection.probes import config, web
from lifeline.detection.probes.reading import Failed, Reading

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def run(settings: config.Synthetic, probe, at: datetime) -> Reading:
    variables = {**settings.variables, **_from_environment(settings.variables_env)}
    started = time.monotonic()
    client = web.Client(probe.timeout_seconds, settings.verify_tls)
    for number, step in enumerate(settings.steps, 1):
        client.timeout = probe.timeout_seconds - (time.monotonic() - started)
        try:
            if client.timeout <= 0:
                raise Failed(_("no time left of the %(seconds)s s timeout") % {"seconds": probe.timeout_seconds})
            variables.update(_step(client, step, variables))
        except (Failed, web.Unreachable) as failure:
            raise Failed(_("step %(number)d (%(name)s): %(failure)s") % {
                "number": number, "name": step.name, "failure": failure}) from None
    return Reading(True, (time.monotonic() - started) * 1000)


def _from_environment(names: dict[str, str]) -> dict[str, str]:
    missing = [f"{variable} ({env})" for variable, env in names.items() if env not in os.environ]
    if missing:
        raise Failed(_("environment variables not set (config.variables_env): %(missing)s") % {
            "missing": ", ".join(missing)})
    return {variable: os.environ[env] for variable, env in names.items()}


def _step(client: web.Client, step: config.Step, variables: dict) -> dict:
    """Do one step; returns the variables it extracts."""
    fill = _filler(variables)
    headers = {name: fill(value) for name, value in step.headers.items()}
    body = None
    if step.json_body is not None:
        body = json.dumps(_fill_json(step.json_body, fill), ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    elif step.form is not None:
        body = urlencode({name: fill(value) for name, value in step.form.items()}).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif step.body:
        body = fill(step.body).encode()
    answer = client.request(step.method, fill(step.url), headers, body)
    web.expect_status(answer.status, step.expect_status)
    if step.keyword and step.keyword not in answer.text:
        raise Failed(_("the answer does not contain %(keyword)r") % {"keyword": step.keyword})
    return {name: web.as_text(web.json_field(answer, path)) for name, path in step.extract.items()}


def _filler(variables: dict):
    def fill(text: str) -> str:
        def value(match):
            if match.group(1) not in variables:
                raise Failed(_("unknown variable %(variable)s") % {"variable": match.group(0)})
            return variables[match.group(1)]

        return _VARIABLE.sub(value, text)

    return fill


def _fill_json(node, fill):
    if isinstance(node, str):
        return fill(node)
    if isinstance(node, dict):
        return {key: _fill_json(value, fill) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill_json(value, fill) for value in node]
    return node
