from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from lifeline.core import clock
from lifeline.core.models import WorkerBeat


@login_not_required
@never_cache
def healthz(request):
    """Public health check: database reachable, and whether a worker has been seen lately."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # the answer must still come back when the database is down
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    recent = clock.now() - timedelta(minutes=1)
    workers = WorkerBeat.objects.filter(seen_at__gte=recent).count()
    return JsonResponse({"status": "ok", "database": database, "workers": workers})


def home(request):
    return render(request, "core/home.html")
