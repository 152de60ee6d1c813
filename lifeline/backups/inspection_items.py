"""Backup jobs as automatic inspection items: the daily round reads a job's state (按时 passes;
未按时, 体积骤减 or 校验不符 fails) instead of someone opening the backup directory by hand."""
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifeline.backups.models import BackupJob, State
from lifeline.inspections import providers


def job_choices() -> list[tuple[str, str]]:
    return [(str(job.pk), str(job)) for job in BackupJob.objects.filter(enabled=True).select_related("system")]


def read_job(source: str) -> providers.Reading | None:
    job = BackupJob.objects.filter(pk=int(source)).select_related("system").first() if source.isdigit() else None
    if job is None:
        return None
    text = job.get_state_display()
    if job.last_run_at:
        text += " · " + _("last run %(time)s") % {"time": timezone.localtime(job.last_run_at).strftime("%m-%d %H:%M")}
    if job.state_reason:
        text += f" · {job.state_reason[:100]}"
    return providers.Reading(job.state == State.OK, text)


def connect():
    providers.register("backup", providers.Provider(gettext_lazy("Backup job"), job_choices, read_job))
