from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, app_config, using="default", **kwargs):
    """After migrating, the five role groups hold exactly their permissions
    (a release that narrows a role takes effect on ``migrate``). Runs once,
    after the last of motcua's apps, when every permission exists."""
    if app_config.label != "workflows":
        return
    from procedures.services.directory import roles_sync

    roles_sync()


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Danh mục thủ tục và đơn vị hành chính")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="motcua-sync-roles")
