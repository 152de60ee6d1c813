"""The site's one form style: every Django form renders through core/templates/forms/lifeline.html
(a label above its input, the field's errors under the label, then its help text), styled by
static/lifeline/layout.css; lifeline/forms.js brings the first error into view."""
from django.forms.renderers import DjangoTemplates


class SiteFormRenderer(DjangoTemplates):
    """Django's own form templates and the apps' (so lifeline.core's forms/lifeline.html is found)."""

    form_template_name = "forms/lifeline.html"
