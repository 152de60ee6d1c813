from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerBeat(models.Model):
    """Last sign of life of each `lifeline worker` process, shown by /healthz."""

    name = models.CharField(_("worker"), max_length=200, unique=True)
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return self.name
