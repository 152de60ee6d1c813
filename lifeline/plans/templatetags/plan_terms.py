"""`{% term "coordinator" %}`: a word of plans.vocabulary in the reader's language, so a page
says what the printed binder says. `colon=True` adds the language's colon (协调人：, Coordinator: ).
`plan.source|source_words`: a plan's source as people read it."""
import re
from pathlib import PurePosixPath

from django import template

from lifeline.plans.vocabulary import TERMS

register = template.Library()


@register.simple_tag
def term(key: str, colon: bool = False) -> str:
    word = str(TERMS[key])
    return word + str(TERMS["colon"]) if colon else word


# A source written as a file path (seeds/003_….txt, D:\预案\HIS.docx) rather than a document's name.
FILE_PATH = re.compile(r"[/\\]|\.(?:txt|docx?|pdf|ya?ml|md|wps)$", re.IGNORECASE)


@register.filter
def source_words(source: str) -> str:
    """The document a plan was written from, as named; a file path as the file's name (the path
    itself is for the page's details, not its text)."""
    source = (source or "").strip()
    return PurePosixPath(source.replace("\\", "/")).name if FILE_PATH.search(source) else source
