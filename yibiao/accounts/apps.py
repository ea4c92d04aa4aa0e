from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yibiao.accounts"
    verbose_name = _("账号与角色")

    def ready(self) -> None:
        # Audit entries for logins, failed logins and lockouts (signal receivers).
        from . import logins

        logins.connect_lockout_signal()
