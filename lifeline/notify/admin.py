from django.contrib import admin

from lifeline.core.admin import ReadOnlyAdmin, ReadOnlyInline
from lifeline.notify.models import Delivery, DeliveryAttempt


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("at", "kind", "recipient", "number", "ok", "error", "duration_ms")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "message", "status", "next_at", "finished_at", "reason")
    list_filter = ("status",)
    raw_id_fields = ("message",)
    inlines = [AttemptInline]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "incident", "recipient", "kind", "number", "ok", "error", "duration_ms")
    list_filter = ("ok", "kind")
    raw_id_fields = ("delivery", "incident", "channel")
