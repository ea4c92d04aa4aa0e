from django.urls import path

from . import views

app_name = "burden"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("download.<str:fmt>", views.download, name="download"),
]
