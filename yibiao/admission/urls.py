from django.urls import path

from . import views

app_name = "admission"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/decide/", views.request_decide, name="decide"),
    path("<int:request_id>/reanalyse/", views.request_reanalyse, name="reanalyse"),
    path("<int:request_id>/filter/", views.request_filter, name="filter"),
    path("<int:request_id>/decisions/", views.request_decisions, name="decisions"),
    path("filter-check/", views.filter_check, name="filter_check"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("rules/", views.rules_page, name="rules"),
    path("catalogue.xlsx", views.catalogue_export, name="catalogue_export"),
]
