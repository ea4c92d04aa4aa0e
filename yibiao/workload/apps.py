from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkloadConfig(AppConfig):
    name = "yibiao.workload"
    verbose_name = _("工作任务与督查检查")
