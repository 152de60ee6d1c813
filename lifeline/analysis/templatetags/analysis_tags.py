from django import template

from lifeline.analysis.services import say_delta

register = template.Library()


@register.filter
def duration(delta):
    """A timedelta in words of the interface language: 1 天 2 小时."""
    return say_delta(delta)
