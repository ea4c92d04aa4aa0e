from django.urls import path

from . import views
from .tables import views as tables
from .work import views as work

app_name = "gate"
urlpatterns = [
    path("", views.demand_list, name="list"),
    path("new/table/", tables.request_new, name="new_table"),
    path("new/work/", work.item_new, name="new_work"),
    path("<int:demand_id>/", views.detail, name="detail"),
    path("<int:demand_id>/decide/", views.decide, name="decide"),
    path("<int:demand_id>/reanalyse/", views.reanalyse, name="reanalyse"),
    # A table's own steps.
    path("<int:request_id>/filter/", tables.request_filter, name="filter"),
    path("<int:request_id>/decisions/", tables.request_decisions, name="decisions"),
    path("<int:request_id>/optional/", tables.request_optional, name="optional"),
    path("filter-check/", tables.filter_check, name="filter_check"),
    # A task's or inspection's own steps.
    path("<int:item_id>/resubmit/", work.item_resubmit, name="resubmit"),
    path("<int:item_id>/strike/<int:evidence_id>/", work.item_strike, name="strike"),
    path("<int:item_id>/merge/", work.item_merge, name="merge"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("catalogue.xlsx", views.catalogue_export, name="catalogue_export"),
    path("rules/", views.rules_page, name="rules"),
]
