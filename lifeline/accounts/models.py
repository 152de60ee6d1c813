import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "ll_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenManager(models.Manager):
    def issue(self, user, name=""):
        """Create a token and return (token, key); the key is shown once and only its hash is kept."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.create(user=user, name=name, prefix=key[:10], key_hash=digest(key))
        return token, key

    def authenticate(self, key: str):
        token = self.select_related("user").filter(key_hash=digest(key), revoked=False).first()
        if token is None or not token.user.is_active:
            return None
        return token


class ApiToken(models.Model):
    """A bearer token for the REST API (`Authorization: Bearer ll_...`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"
