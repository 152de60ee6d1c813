"""The tracking filter's levels name their plan: plan 004's English level names beside the
Chinese plans' make sense in one drop-down."""
import pytest
from django.utils import translation

from lifeline.incidents import tracking

pytestmark = pytest.mark.django_db


def test_each_level_is_shown_with_its_plan(load_seed):
    load_seed("004")
    load_seed("001")
    with translation.override("zh-hans"):
        _categories, levels = tracking.choices()
    labels = dict(levels)
    assert labels and all("（" in label and label.endswith("）") for label in labels.values()), labels
    assert any("/" in label for label in labels.values()) or len(labels) >= 2
