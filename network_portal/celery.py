import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")

app = Celery("network_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs are declared in code; apps add theirs in their `schedules.py` (see core/schedules).
app.conf.beat_schedule = {}


@app.on_after_finalize.connect
def _load_schedules(sender: Celery, **kwargs: object) -> None:
    from core.schedules import collect_beat_schedule

    sender.conf.beat_schedule = collect_beat_schedule()
