from django.urls import path

from lifeline.recovery import sendback_views

app_name = "recovery"
urlpatterns = [
    path("", sendback_views.page, name="sendback"),
    path("import/", sendback_views.import_journal, name="import_journal"),
]
