"""The send-back page (回写): per station, what it holds and what reached the server (linked from
/continuity/); commanders and IT on duty import a station's journal file (USB) here."""
import os

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lifeline.accounts.permissions import can_import_journals, can_read
from lifeline.core import clock
from lifeline.core.errors import Refused, add_to_form
from lifeline.package.private import private_dir
from lifeline.recovery import importing, sendback
from lifeline.snapshots import storage
from lifeline.workstation.usb import SUFFIX


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Journal file (%s)") % SUFFIX,
                           widget=forms.FileInput(attrs={"accept": SUFFIX}))


@can_read.page
def page(request, form=None, status=200):
    now = clock.now()
    return render(request, "recovery/sendback.html", {
        "now": now, "states": sendback.states(now), "silent_minutes": settings.SENDBACK_SILENT_MINUTES,
        "form": form or (ImportForm() if can_import_journals(request.user) else None)}, status=status)


@require_POST
@can_import_journals.page
def import_journal(request):
    """Verify the uploaded file and receive its events; nothing is stored when it does not verify."""
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        with private_dir(storage.work_root()) as private:
            path = private / "upload"
            with open(path, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            station, receipt = importing.import_file(path, field="file")
    except Refused as refused:
        add_to_form(form, Refused.of([("file", p.message) for p in refused.problems]))  # the file is at fault
        return page(request, form, status=400)
    messages.success(request, _("Station %(name)s: %(received)d events received, %(duplicates)d held already; the "
                                "server holds up to sequence number %(seq)d.") % {
        "name": station.name, "received": receipt.received, "duplicates": receipt.duplicates,
        "seq": receipt.head_seq})
    return redirect("recovery:sendback")
