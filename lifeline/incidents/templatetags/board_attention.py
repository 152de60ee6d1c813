"""`{% attention_items as items %}`: what apps above incidents ask the dashboard to show in red
(lifeline.incidents.attention), read when the board renders (it refreshes every few seconds)."""
from django import template

from lifeline.incidents import attention

register = template.Library()


@register.simple_tag
def attention_items() -> list[attention.Item]:
    return attention.items()
