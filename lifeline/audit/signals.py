"""What the audit log records, and the signal handlers that record it.

Every model of an app in AUDITED_APPS is recorded (create, update, delete and its
many-to-many changes) without the app doing anything: to audit a new app, add its label.
`queryset.update()` sends no signals: bulk writes to audited rows go through
lifeline.audit.bulk.audited_update.
"""
import hashlib
import json

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from lifeline.audit import services
from lifeline.audit.models import AuditEntry

AUDITED_APPS = ["plans", "people", "incidents", "snapshots", "stations", "analysis", "detection", "notify", "status",
                "inspections", "backups", "drills", "cutover", "recovery", "reconciliation"]
# Machine records written many times a second (probe readings, received alerts, delivery
# attempts) are not changes someone made: the apps list them here to keep them out of the log.
UNAUDITED_MODELS: set[str] = {"detection.alert", "detection.alertgroup", "notify.delivery", "notify.deliveryattempt",
                             "detection.proberesult", "detection.proberollup", "detection.probechange",
                             "stations.stationcheckin", "snapshots.buildproblem",
                             "backups.backupcopy", "backups.restorerun",
                             # the stations' own records, received: receiving audits each delivery
                             "recovery.receivedevent", "recovery.stationjournal"}
# Accounts and their role groups (users' group membership is how people get their roles), and
# API tokens (issued and revoked; never their key, only its masked hash).
AUDITED_MODELS = ["auth.User", "auth.Group", "accounts.ApiToken"]

# Change on every login and every use of a token; they are not changes made to the account.
UNRECORDED_FIELDS = {"last_login", "last_used_at"}
# Values never written to the log (it can never be cleaned up afterwards): passwords,
# token hashes, and Apprise URLs, which carry webhook keys.
SECRET_FIELD_NAMES = {"password", "key_hash"}
SECRET_FIELD_PARTS = ("secret", "token")
SECRET_FIELDS = {"people.contactchannel.url"}
MASK = "***"
MASK_CHANGED = "***changed***"
# Longer values (a plan's YAML source, its parsed data) are recorded by their digest: the
# entry still proves which content it was, without copying every plan version into the log.
LONG_VALUE_CHARS = 2000


def audited_models() -> set:
    models = {m for label in AUDITED_APPS for m in apps.get_app_config(label).get_models()
              if m._meta.label_lower not in UNAUDITED_MODELS}
    return models | {apps.get_model(label) for label in AUDITED_MODELS}


def connect():
    """Connect the handlers to each audited model (not to all models: fast deletes stay fast)."""
    audited = audited_models()
    for model in audited:
        pre_save.connect(remember_old_values, sender=model)
        post_save.connect(record_save, sender=model)
        post_delete.connect(record_delete, sender=model)
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            if model in audited or field.related_model in audited:
                m2m_changed.connect(record_m2m_change, sender=field.remote_field.through)


def _recorded_fields(model, update_fields=None):
    return [
        f for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in UNRECORDED_FIELDS and not getattr(f, "auto_now", False)
        and (update_fields is None or f.name in update_fields or f.attname in update_fields)
    ]


def _is_secret(model, field) -> bool:
    name = field.name.lower()
    return (name in SECRET_FIELD_NAMES or any(part in name for part in SECRET_FIELD_PARTS)
            or f"{model._meta.label_lower}.{name}" in SECRET_FIELDS)


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _jsonable(value):
    """Plain JSON that reads back identically from any database (floats as text: jsonb
    rewrites some of them, which would break the hash)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _plain(value):
    text = json.dumps(value, cls=_Encoder, ensure_ascii=False, sort_keys=True)
    if len(text) > LONG_VALUE_CHARS:
        return f"sha256:{hashlib.sha256(text.encode()).hexdigest()} ({len(text)} chars)"
    return _jsonable(json.loads(text))


def _python(field, value):
    try:
        return field.to_python(value)
    except ValidationError:
        return value


def _snapshot(instance, fields) -> dict:
    model = type(instance)
    return {f.name: MASK if _is_secret(model, f) else _plain(f.value_from_object(instance)) for f in fields}


def remember_old_values(sender, instance, using, update_fields=None, **kwargs):
    """Load the stored row (one query) so post_save can tell what changed."""
    if instance.pk is None:
        instance._audit_before = None
        return
    attnames = [f.attname for f in _recorded_fields(sender, update_fields)]
    instance._audit_before = sender._base_manager.using(using).filter(pk=instance.pk).values(*attnames).first()


def record_save(sender, instance, created, using, update_fields=None, **kwargs):
    before = instance.__dict__.pop("_audit_before", None)
    fields = _recorded_fields(sender, update_fields)
    if created or before is None:
        services.append(AuditEntry.Action.CREATE, instance, _snapshot(instance, fields), using)
        return
    changes = {}
    for f in fields:
        old, new = before[f.attname], f.value_from_object(instance)
        if _python(f, old) != _python(f, new):
            secret = _is_secret(sender, f)
            changes[f.name] = MASK_CHANGED if secret else [_plain(old), _plain(new)]
    if changes:
        services.append(AuditEntry.Action.UPDATE, instance, changes, using)


def record_delete(sender, instance, using, **kwargs):
    services.append(AuditEntry.Action.DELETE, instance, _snapshot(instance, _recorded_fields(sender)), using)


def _m2m_field(sender, model):
    return next(f for f in model._meta.many_to_many if f.remote_field.through is sender)


def record_m2m_change(sender, instance, action, reverse, model, pk_set, using, **kwargs):
    """Record a many-to-many change as an update of the forward side's field, [old, new].

    `group.user_set.add(user)` is recorded on the user ("groups"), as `user.groups.add(group)` is.
    """
    stage, _, kind = action.partition("_")
    forward_model = model if reverse else type(instance)
    field = _m2m_field(sender, forward_model)
    key = f"_audit_m2m_{sender._meta.label_lower}"
    if stage == "pre":
        if not reverse:
            owners = [instance]
        elif kind == "clear":
            owners = list(getattr(instance, field.remote_field.get_accessor_name()).all())
        else:
            owners = list(model._base_manager.using(using).filter(pk__in=pk_set))
        instance.__dict__[key] = [(owner, _related_names(owner, field)) for owner in owners]
        return
    for owner, old in instance.__dict__.pop(key, []):
        new = _related_names(owner, field)
        if old != new:
            services.append(AuditEntry.Action.UPDATE, owner, {field.name: [old, new]}, using)


def _related_names(owner, field) -> list[str]:
    return sorted(str(obj) for obj in getattr(owner, field.name).all())
