from django.urls import path

from lifeline.incidents import vendor_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("board/", views.board, name="board"),
    path("report/", views.report_new, name="report"),
    path("hotline/", views.hotline, name="hotline"),
    path("reports/<str:number>/", views.report_detail, name="report_detail"),
    path("reports/<str:number>/sent/", views.report_sent, name="report_sent"),
    path("triage/", views.triage, name="triage"),
    path("duty-cards/", views.duty_cards, name="duty_cards"),
    path("tracking/", views.tracking_table, name="tracking"),
    path("tracking.xlsx", views.tracking_xlsx, name="tracking_xlsx"),
    path("vendors/", vendor_views.vendor_list, name="vendors"),
    path("vendors.xlsx", vendor_views.vendor_xlsx, name="vendors_xlsx"),
    path("<int:incident_id>/", views.detail, name="detail"),
    path("<int:incident_id>/commitment/", vendor_views.commit, name="commit"),
    path("<int:incident_id>/<str:action>/", views.act, name="act"),
]
