from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlippedConfig(AppConfig):
    name = "yibiao.slipped"
    verbose_name = _("未经准入事项报告")
