from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GateConfig(AppConfig):
    name = "yibiao.gate"
    verbose_name = _("准入")
