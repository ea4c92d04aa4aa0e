from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("<str:token>/", views.mapping, name="mapping"),
    path("<str:token>/run/", views.run, name="run"),
]
