"""The liaison's status page: components, overrides, notices, maintenance windows.

Commanders and IT on duty change everything, an incident's liaison overrides states and
publishes notices, auditors read; everyone else gets 403. Each action calls lifeline.status.liaison.
"""
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_read, can_speak_status
from lifeline.core import clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.status import liaison, services
from lifeline.status.forms import ComponentForm, MaintenanceForm, NoticeForm, OverrideForm
from lifeline.status.models import Component, MaintenanceWindow, Notice, Override

RECENT = 20


def or_liaison(policy):
    """A page the policy opens, and also the liaison of an open incident (whatever their role:
    department staff often hold it). The route matrix reads the policy."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not (policy(request.user) or liaison.liaison_incidents(request.user).exists()):
                raise PermissionDenied(str(policy.refusal))
            return view(request, *args, **kwargs)

        wrapped.policy = policy
        return wrapped

    return decorator


def _index(request, status=200, **forms):
    user = request.user
    speak, manage = liaison.may_speak(user), can_speak_status(user)
    if speak:
        forms.setdefault("override_form", OverrideForm())
        forms.setdefault("notice_form", NoticeForm(user=user))
    if manage:
        forms.setdefault("component_form", ComponentForm())
        forms.setdefault("maintenance_form", MaintenanceForm())
    now = clock.now()
    return render(request, "status/manage.html", {
        **forms, "may_speak": speak, "may_manage": manage,
        "statuses": services.statuses(),
        "overrides": Override.objects.current().select_related("component", "set_by"),
        "notices": services.current_notices(public=False).select_related("published_by"),
        "past_notices": Notice.objects.exclude(pk__in=services.current_notices(public=False).values("pk"))
                                      .select_related("incident")[:RECENT],
        "windows": MaintenanceWindow.objects.filter(ends_at__gt=now).order_by("starts_at")
                                            .prefetch_related("components"),
    }, status=status)


def _act(request, form, name, action, done):
    """Run a service on a valid form; its refusals land on the form's fields and nothing changed."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except (Refused, ValidationError) as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("status:manage")
    return _index(request, status=400, **{name: form})


@or_liaison(can_read)
def index(request):
    return _index(request)


@require_POST
@can_speak_status.page
def component_new(request):
    form = ComponentForm(request.POST)
    return _act(request, form, "component_form", lambda data: form.save(), _("Component saved"))


@or_liaison(can_read)
def component_edit(request, key):
    component = get_object_or_404(Component, key=key)
    form = ComponentForm(request.POST or None, instance=component)
    if request.method == "POST":
        if not can_speak_status(request.user):
            raise PermissionDenied(str(can_speak_status.refusal))
        if form.is_valid():
            form.save()
            messages.success(request, _("Component saved"))
            return redirect("status:manage")
    return render(request, "status/component_form.html", {
        "form": form, "component": component, "may_manage": can_speak_status(request.user),
        "status": services.component_state(component)}, status=400 if form.errors else 200)


@require_POST
@or_liaison(can_speak_status)
def override_new(request):
    return _act(request, OverrideForm(request.POST), "override_form",
                lambda data: liaison.set_override(user=request.user, **data), _("State set"))


@require_POST
@or_liaison(can_speak_status)
def override_withdraw(request, pk):
    liaison.withdraw(get_object_or_404(Override, pk=pk), request.user)
    messages.success(request, _("Override withdrawn; the state follows the rules again"))
    return redirect("status:manage")


def _publish(user, data):
    if data["template"]:
        return liaison.publish_template(data["template"], title=data["title"], body=data["body"],
                                        components=data["components"], hours=data["hours"], user=user)
    return liaison.publish(title=data["title"], body=data["body"], components=data["components"],
                           incident=data["incident"], hours=data["hours"], user=user)


@require_POST
@or_liaison(can_speak_status)
def notice_new(request):
    return _act(request, NoticeForm(request.POST, user=request.user), "notice_form",
                lambda data: _publish(request.user, data), _("Notice published"))


@require_POST
@or_liaison(can_speak_status)
def notice_withdraw(request, pk):
    notice = get_object_or_404(Notice, pk=pk)
    own = notice.published_by_id == request.user.pk or notice.incident in liaison.liaison_incidents(request.user)
    if not (can_speak_status(request.user) or own):
        raise PermissionDenied
    liaison.withdraw(notice, request.user)
    messages.success(request, _("Notice withdrawn"))
    return redirect("status:manage")


@require_POST
@can_speak_status.page
def maintenance_new(request):
    return _act(request, MaintenanceForm(request.POST), "maintenance_form",
                lambda data: liaison.plan_maintenance(**data), _("Maintenance window planned"))


@require_POST
@can_speak_status.page
def maintenance_end(request, pk):
    liaison.end_maintenance(get_object_or_404(MaintenanceWindow, pk=pk))
    messages.success(request, _("Maintenance window ended"))
    return redirect("status:manage")
