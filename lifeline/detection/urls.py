app_name = "detection"
urlpatterns = []
