from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from yibiao.accounts import views as account_views
from yibiao.accounts.logins import LoginForm
from yibiao.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Everyone changes the password an administrator handed out (yibiao user add/import).
    path("password/", auth_views.PasswordChangeView.as_view(success_url="/password/done/"), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("orgunits/search/", account_views.org_search, name="org_search"),
    path("org/<str:code>/", account_views.org_unit_page, name="org_unit"),
    path("ledger/", include("yibiao.ledger.urls")),
    path("intake/", include("yibiao.intake.urls")),
    path("dictionary/", include("yibiao.dictionary.urls")),
    path("audit/", include("yibiao.audit.urls")),
    path("gate/", include("yibiao.gate.urls")),
    path("reports/", include("yibiao.reports.urls")),
    path("burden/", include("yibiao.burden.urls")),
    path("calendar/", include("yibiao.agenda.urls")),
    path("slipped/", include("yibiao.slipped.urls")),
    path("", include("yibiao.gate.moved")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# The product's own pages for malformed, refused and stale requests; the 403 one audits the refusal.
handler400 = "yibiao.errors.bad_request"
handler403 = "yibiao.errors.permission_denied"
handler404 = "yibiao.errors.page_not_found"
