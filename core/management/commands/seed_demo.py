"""Load the demo data of every app, in dependency order. Idempotent: running it twice changes
nothing. Each app contributes `load_demo(stdout)` in its `demo.py`."""

from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand

DEMO_APPS = ["administrators", "datasets", "supervision", "guides", "trainings"]


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for app in DEMO_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            self.stdout.write(f"[{app}]")
            module.load_demo(self.stdout)
        self.stdout.write("Données de démonstration chargées.")
