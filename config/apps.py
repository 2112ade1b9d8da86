"""Third-party apps under Vietnamese names in the admin."""

from axes.apps import AppConfig as AxesAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "Đăng nhập sai và tạm khóa"
