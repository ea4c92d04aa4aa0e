from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/submitted/", views.submitted, name="submitted"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:task_id>/rows/", views.task_rows, name="task_rows"),
    path("tasks/<int:task_id>/preview/", views.task_preview, name="task_preview"),
    path("tasks/<int:task_id>/submit/", views.task_submit, name="task_submit"),
    path("tasks/<int:task_id>/return/", views.task_return, name="task_return"),
    path("requests/<int:request_id>/download/", views.report_download, name="download"),
    path("jobs/<int:job_id>/", views.job_page, name="job"),
    path("jobs/<int:job_id>/file/", views.job_file, name="job_file"),
]
