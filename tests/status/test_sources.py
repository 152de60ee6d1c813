"""status.sources: what apps above status (detection) add to a component's state and to the wall."""
import pytest

from lifeline.status import services, sources


@pytest.fixture
def registry(monkeypatch):
    """The registries as detection filled them, restored after the test."""
    monkeypatch.setattr(sources, "_findings", dict(sources._findings))
    monkeypatch.setattr(sources, "_wall", dict(sources._wall))


def test_detection_registers_its_probes(registry):
    assert "probes" in sources._findings and "probes" in sources._wall


def test_detection_registers_its_unrouted_alerts(registry):
    assert "unrouted" in sources._wall


def test_a_finding_of_another_app_changes_the_state_and_says_why(components, registry, t0):
    charging = components["charging"]
    sources.add_findings("test", lambda: [sources.Finding(charging.pk, services.State.DEGRADED, "queue too long")])
    state = services.component_state(charging)
    assert (state.state, state.why) == (services.State.DEGRADED, ["queue too long"])


def test_without_the_app_the_wall_section_is_empty(registry):
    sources._wall.clear()
    assert sources.wall_sections() == {"probes": [], "unrouted": []}


def test_a_wall_section_the_wall_does_not_draw_is_refused(registry):
    with pytest.raises(ValueError, match="no section 'tickets'"):
        sources.add_wall_section("tickets", list)
