"""`{% workday_warnings start end %}`: what the reader of deadlines between start and end should
know about the working-day calendar (a year it does not know, a hospital file it cannot use)."""
from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from lifeline.core import workdays

register = template.Library()


@register.simple_tag
def workday_warnings(start=None, end=None):
    found = workdays.problems(start, end)
    if not found:
        return ""
    return format_html('<p class="warn workday-warning" role="note">{}</p>',
                       format_html_join(mark_safe("<br>"), "{}", ((text,) for text in found)))
