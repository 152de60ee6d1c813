from django.contrib import admin

from lifeline.core.admin import ReadOnlyAdmin
from lifeline.snapshots.models import SnapshotBuild


@admin.register(SnapshotBuild)
class SnapshotBuildAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "kind", "status", "duration_seconds", "size_bytes", "skipped_count", "package_id",
                    "trigger"]
    list_filter = ["status", "kind", "trigger"]
    search_fields = ["package_id", "error"]
    date_hierarchy = "started_at"
