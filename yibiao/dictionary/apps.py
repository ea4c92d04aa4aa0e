from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DictionaryConfig(AppConfig):
    name = "yibiao.dictionary"
    verbose_name = _("数据字典")
