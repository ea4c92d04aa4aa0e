from django.urls import path

from . import views

app_name = "agenda"
urlpatterns = [
    path("", views.calendar_home, name="home"),
    path("<str:code>.ics", views.calendar_ics, name="ics"),
    path("<str:code>/", views.calendar_month, name="month"),
    path("<str:code>/week/", views.calendar_week, name="week"),
]
