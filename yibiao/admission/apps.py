from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "yibiao.admission"
    verbose_name = _("准入审核")
