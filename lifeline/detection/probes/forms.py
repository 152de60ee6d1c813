"""The probe form of the pages and the admin site: settings checked per kind, naming the field."""
import json
from types import SimpleNamespace

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lifeline.detection import integrations
from lifeline.detection.models import Probe
from lifeline.detection.probes.services import SETTINGS_FIELDS

# One example per kind, shown next to the settings box.
EXAMPLES = {
    Probe.Kind.HTTP: {"url": "https://his.example/health", "expect_status": [200], "keyword": "",
                      "json_path": "status", "json_value": "UP", "max_latency_ms": 2000, "cert_days": 14},
    Probe.Kind.TCP: {"host": "10.0.0.12", "port": 1521},
    Probe.Kind.SQL: {"connection": {"url": "postgresql+psycopg://monitor@his-db:5432/his",
                                    "password_env": "HIS_MONITOR_PASSWORD"},
                     "query": "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())"},
    Probe.Kind.SYNTHETIC: {"variables": {"user": "test-patient"}, "variables_env": {"password": "TEST_PATIENT_PW"},
                           "steps": [{"name": "登录", "method": "POST", "url": "https://app.example/api/login",
                                      "json": {"username": "${user}", "password": "${password}"},
                                      "extract": {"token": "data.token"}},
                                     {"name": "预约挂号", "method": "POST", "url": "https://app.example/api/book",
                                      "headers": {"Authorization": "Bearer ${token}"},
                                      "json": {"department": "内科"}, "expect_status": [201]}]},
    Probe.Kind.HEARTBEAT: {"period_minutes": 1440},
    Probe.Kind.PROMETHEUS: {"url": "http://his-app:9100/metrics",
                            "expression": 'node_filesystem_avail_bytes{mountpoint="/"} / '
                                          'node_filesystem_size_bytes{mountpoint="/"} * 100 < 10'},
}


def examples() -> list[tuple[str, str]]:
    return [(label, json.dumps(EXAMPLES[kind], ensure_ascii=False, indent=2)) for kind, label in Probe.Kind.choices]


class ProbeForm(forms.ModelForm):
    config = forms.JSONField(label=_("settings"), widget=forms.Textarea(attrs={"rows": 10, "class": "code"}),
                             help_text=_("A JSON object; what it holds depends on the kind (examples below)."))

    class Meta:
        model = Probe
        fields = SETTINGS_FIELDS

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                # The plan, scenario and level must exist, as for an integration's alerts.
                integrations.check_routing(SimpleNamespace(plan_id=self.instance.plan_id, severity_levels={},
                                                           scenario_id=self.instance.scenario_id,
                                                           level_id=self.instance.level_id))
            except ValidationError as exc:
                self._update_errors(exc)
