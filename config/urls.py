from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz
from reports.views import (
    Indicators766View,
    dashboard_export,
    dashboard_page,
    indicators_export,
    indicators_page,
    officer_page,
    officers_export,
    officers_page,
    register_page,
    register_pdf,
    register_xlsx,
    report_page,
    report_xlsx,
)
from workflows.views import desk
from workflows.views.inbox import inbox, inbox_bulk, inbox_export
from workflows.views.staff import home

admin.site.site_header = "motcua – Quản trị hệ thống một cửa"
admin.site.site_title = "motcua"
admin.site.index_title = "Quản trị"

urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("procedures.urls")),
    path("api/v1/", include("workflows.urls")),
    path("api/v1/", include("notifications.urls")),
    path("desk/receive/", desk.receive_search, name="desk-receive"),
    path("desk/receive/<str:procedure>/", desk.receive, name="desk-receive-procedure"),
    path("desk/receipt/<str:code>/", desk.receipt, name="desk-receipt"),
    path("desk/online/", desk.online, name="desk-online"),
    path("desk/return/", desk.hand_back, name="desk-return"),
    path("desk/act/<str:action>/", desk.desk_act, name="desk-act"),
    path("dashboard/", dashboard_page, name="dashboard"),
    path("dashboard/export.xlsx", dashboard_export, name="dashboard-export"),
    path("dashboard/766/", indicators_page, name="indicators-766"),
    path("dashboard/766/export.xlsx", indicators_export, name="indicators-766-export"),
    path("dashboard/officers/export.xlsx", officers_export, name="officers-export"),
    path("dashboard/officers/", officers_page, name="officers"),
    path("reports/", report_page, name="report"),
    path("reports/report.xlsx", report_xlsx, name="report-xlsx"),
    path("reports/register/", register_page, name="register"),
    path("reports/register.xlsx", register_xlsx, name="register-xlsx"),
    path("reports/register.pdf", register_pdf, name="register-pdf"),
    path("dashboard/officers/<str:username>/", officer_page, name="officer"),
    path("api/v1/indicators/766/", Indicators766View.as_view(), name="indicators-766-api"),
    path("inbox/", inbox, name="inbox"),
    path("inbox/bulk/", inbox_bulk, name="inbox-bulk"),
    path("inbox/export.xlsx", inbox_export, name="inbox-export"),
    path("notifications/", include("notifications.page_urls")),
    path("dossiers/", include("workflows.page_urls")),
    path("", include("workflows.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"
handler404 = "config.error_views.page_not_found"
handler500 = "config.error_views.server_error"
