from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lifeline.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from lifeline.accounts.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
