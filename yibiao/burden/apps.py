from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BurdenConfig(AppConfig):
    name = "yibiao.burden"
    verbose_name = _("减负账本")
