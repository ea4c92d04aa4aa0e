from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("<str:token>/", views.mapping, name="mapping"),
    path("<str:token>/run/", views.run, name="run"),
]
