"""The spare-parts inventory as a spreadsheet (django-import-export), matched by name. Importing
goes through people.resources.import_xlsx: all or nothing, each error naming its row and column."""
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from lifeline.inspections.models import SparePart

CATEGORIES = {str(label): value for value, label in SparePart.Category.choices}


class CategoryWidget(widgets.Widget):
    """The category as people write it (核心交换机) or as its code (core_switch)."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if text in SparePart.Category.values:
            return text
        labels = {label: code for code, label in
                  ((v, str(label)) for v, label in SparePart.Category.choices)}
        if text not in labels:
            raise ValueError(_("unknown category “%(text)s”: write one of %(known)s")
                             % {"text": text, "known": "、".join(labels)})
        return labels[text]

    def render(self, value, obj=None, **kwargs):
        return str(SparePart.Category(value).label) if value in SparePart.Category.values else value


class SparePartResource(resources.ModelResource):
    category = fields.Field(attribute="category", column_name="category", widget=CategoryWidget())

    class Meta:
        model = SparePart
        fields = ("name", "category", "model", "location", "quantity", "minimum", "replaces")
        import_id_fields = ("name",)
        clean_model_instances = True
        skip_diff = True
