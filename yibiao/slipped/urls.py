from django.urls import path

from . import views

app_name = "slipped"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path("<int:report_id>/", views.report_detail, name="detail"),
    path("<int:report_id>/file", views.report_file, name="file"),
    path("<int:report_id>/resolve/", views.report_resolve, name="resolve"),
]
