from django.contrib import admin

from lifeline.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    readonly_fields = ("prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False  # tokens are issued with `lifeline token create`, which shows the key once
