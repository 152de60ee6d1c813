from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lifeline.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from lifeline.accounts.permissions import ensure_roles

        # Not tied to this app's own signal: permissions of apps listed after accounts only
        # exist once their post_migrate has run, so the groups are refreshed after each app.
        post_migrate.connect(ensure_roles, dispatch_uid="lifeline.accounts.ensure_roles")
