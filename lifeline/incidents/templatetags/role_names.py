"""Plan role ids as people read them: `{{ item.owner_role|role_of:incident }}` gives the role's title."""
from django import template

from lifeline.incidents.wording import role_title

register = template.Library()


@register.filter
def role_of(role: str, incident) -> str:
    return role_title(incident, role) if role else ""
