from django.urls import path

from . import views

app_name = "dictionary"
urlpatterns = [
    path("", views.element_list, name="elements"),
    path("new/", views.element_new, name="element_new"),
]
