from django.urls import path

from lifeline.workstation.web import desks, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("mode/", views.declare, name="declare"),
    path("prices/", views.prices, name="prices"),
    path("help/", views.help_page, name="help"),
    path("patients/", views.patients, name="patients"),
    path("register/", desks.register, name="register"),
    path("visits/<str:visit_no>/slip/", desks.slip, name="slip"),
    path("card/", desks.card, name="card"),
    path("invoice/", desks.invoice, name="invoice"),
    path("charge/", desks.charge, name="charge"),
    path("charges/<str:charge_no>/", desks.receipt_page, name="receipt"),
    path("charges/<str:charge_no>/cancel/", desks.cancel, name="cancel"),
    path("prescription/", desks.prescription, name="prescription"),
    path("dispense/", desks.dispense, name="dispense"),
    path("dispense/by-hand/", desks.dispense_by_hand, name="dispense_by_hand"),
    path("takings/", desks.takings, name="takings"),
]
