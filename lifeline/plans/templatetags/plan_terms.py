"""`{% term "coordinator" %}`: a word of plans.vocabulary in the reader's language, so a page
says what the printed binder says. `colon=True` adds the language's colon (协调人：, Coordinator: )."""
from django import template

from lifeline.plans.vocabulary import TERMS

register = template.Library()


@register.simple_tag
def term(key: str, colon: bool = False) -> str:
    word = str(TERMS[key])
    return word + str(TERMS["colon"]) if colon else word
