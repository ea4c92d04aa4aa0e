from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "yibiao.agenda"
    verbose_name = _("联合日历")
