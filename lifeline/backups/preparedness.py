"""A plan's backup and DR measures, offered as catalogue entries for a person to confirm.

A plan says 每天凌晨1点做全量备份 or 数据库服务器集群备份; it does not say which directory the copies
land in or which host is the standby. Loading the plan changes nothing here: its page of
unconfirmed measures offers each as a prefilled form (a backup job with the schedule read from
the plan's words, a DR component with the plan's text as notes), and what a person confirms
keeps the plan's id and the measure's id. The plan page (lifeline.plans.preparedness) then
shows the measure as backed by the job or component, and the others as paper only.
"""
import re

from django.urls import reverse
from django.utils.translation import gettext as _

from lifeline.backups.models import BackupJob, DrComponent
from lifeline.plans import preparedness, schema
from lifeline.plans.models import PlanVersion

KINDS = ("backup", "dr")
# The plan's words for a schedule, as hours between runs (first match wins; checked in order).
SCHEDULE_WORDS = [
    (r"每小时|hourly|every hour", 1),
    (r"每天|每日|夜间|凌晨|daily|every day", 24),
    (r"每周|weekly|every week", 168),
    (r"月中|月底|twice a month|middle and end", 360),
    (r"每月|monthly|every month", 720),
    (r"每季度|quarterly", 2160),
]
INCREMENTAL_WORDS = re.compile(r"增量|incremental", re.IGNORECASE)
LOG_WORDS = re.compile(r"日志备份|log backup|archive log", re.IGNORECASE)


def every_hours(text: str) -> int:
    """Hours between runs the plan's schedule words mean; a day when they say nothing we know."""
    for pattern, hours in SCHEDULE_WORDS:
        if re.search(pattern, text or "", re.IGNORECASE):
            return hours
    return 24


def job_kind(measure: schema.Measure) -> str:
    words = f"{measure.title} {measure.text}"
    if LOG_WORDS.search(words):
        return BackupJob.Kind.LOG
    return BackupJob.Kind.INCREMENTAL if INCREMENTAL_WORDS.search(words) else BackupJob.Kind.FULL


def backing(plan_id: str, measure: schema.Measure):
    if measure.kind == "backup":
        job = BackupJob.objects.filter(plan_id=plan_id, measure_id=measure.id).select_related("system").first()
        return job and preparedness.Backing(_("backup job %(job)s (%(state)s)") % {
            "job": job, "state": job.get_state_display()}, reverse("backups:catalogue") + f"#job-{job.pk}")
    component = DrComponent.objects.filter(plan_id=plan_id, measure_id=measure.id).first()
    return component and preparedness.Backing(_("DR component %(name)s") % {"name": component.name},
                                              reverse("backups:component", args=[component.pk]))


def connect():
    for kind in KINDS:
        preparedness.register(kind, backing)


def unconfirmed(version: PlanVersion) -> list[schema.Measure]:
    """The plan's backup and DR measures no job or component stands for yet."""
    plan_id = version.plan_id
    done = set(BackupJob.objects.filter(plan_id=plan_id).values_list("measure_id", flat=True))
    done |= set(DrComponent.objects.filter(plan_id=plan_id).values_list("measure_id", flat=True))
    return [m for m in version.content.preparedness if m.kind in KINDS and m.id not in done]


def job_initial(measure: schema.Measure) -> dict:
    return {"name": measure.title[:100], "kind": job_kind(measure), "every_hours": every_hours(measure.schedule),
            "schedule_text": measure.schedule[:100]}


def component_initial(measure: schema.Measure) -> dict:
    return {"name": measure.title[:100], "primary": "", "notes": measure.text[:2000]}
