from django.urls import path

from lifeline.cutover import views

app_name = "cutover"

urlpatterns = [
    path("", views.cutover_list, name="list"),
    path("<int:pk>/", views.board, name="board"),
    path("<int:pk>/tasks/", views.add_task, name="add_task"),
    path("<int:pk>/tasks/<int:task_pk>/status/", views.task_status, name="task_status"),
    path("<int:pk>/checks/", views.add_check, name="add_check"),
    path("<int:pk>/checks/<int:check_pk>/sign/", views.sign_check, name="sign_check"),
    path("<int:pk>/events/", views.add_event, name="add_event"),
    path("<int:pk>/rehearsals/", views.add_rehearsal, name="add_rehearsal"),
    path("<int:pk>/move/", views.move, name="move"),
]
