from django.urls import path, re_path

from lifeline.inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.today, name="today"),
    path("rounds/<int:pk>/", views.round_page, name="round"),
    path("checklists/", views.checklist_list, name="checklists"),
    path("checklists/<int:pk>/", views.checklist_page, name="checklist"),
    path("from-plan/", views.plan_offers, name="plan_offers"),
    path("from-plan/<str:plan_id>/<str:measure_id>/", views.adopt, name="adopt"),
    path("report/", views.report_page, name="report"),
    re_path(r"^report\.(?P<fmt>pdf|docx)$", views.report_file, name="report_file"),
    path("parts/", views.part_list, name="parts"),
    path("parts/export.xlsx", views.parts_export, name="parts_export"),
    path("parts/import/", views.parts_import, name="parts_import"),
    path("parts/<int:pk>/", views.part_page, name="part"),
    path("parts/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("parts/<int:pk>/restock/", views.restock, name="restock"),
]
