from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from core.reference_data import load_reference_tables


class Command(BaseCommand):
    help = "Charge ou met à jour les tables de référence juridiques (motifs, licences, catégories)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = load_reference_tables(apps.get_model)
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
