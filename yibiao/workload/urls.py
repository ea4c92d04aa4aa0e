from django.urls import path

from . import views

app_name = "workload"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("new/", views.item_new, name="new"),
    path("<int:item_id>/", views.item_detail, name="detail"),
    path("<int:item_id>/decide/", views.item_decide, name="decide"),
    path("<int:item_id>/resubmit/", views.item_resubmit, name="resubmit"),
    path("<int:item_id>/strike/<int:demand_id>/", views.item_strike, name="strike"),
    path("<int:item_id>/merge/", views.item_merge, name="merge"),
    path("<int:item_id>/reanalyse/", views.item_reanalyse, name="reanalyse"),
    path("calendar/", views.calendar_home, name="calendar_home"),
    path("calendar/<str:code>.ics", views.calendar_ics, name="calendar_ics"),
    path("calendar/<str:code>/", views.calendar_month, name="calendar"),
    path("calendar/<str:code>/week/", views.calendar_week, name="calendar_week"),
    path("report/", views.report_new, name="report"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("reports/<int:report_id>/file", views.report_file, name="report_file"),
    path("reports/<int:report_id>/resolve/", views.report_resolve, name="report_resolve"),
    path("rules/", views.rules_page, name="rules"),
]
