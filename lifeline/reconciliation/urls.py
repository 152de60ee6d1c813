from django.urls import path, re_path

from lifeline.reconciliation import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    re_path(r"^(?P<pk>\d+)/reconciliation\.(?P<fmt>xlsx|pdf)$", views.download, name="download"),
    path("<int:pk>/sign-off/", views.sign_off, name="sign_off"),
    path("<int:pk>/insurance/<int:resettlement_pk>/done/", views.resettled, name="resettled"),
    path("paper/", views.paper_page, name="paper"),
    path("paper/<int:pk>/", views.bundle_page, name="bundle"),
]
