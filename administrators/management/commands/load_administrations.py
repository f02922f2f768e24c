from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from administrators.seeding import load_administrations


class Command(BaseCommand):
    help = "Charge les ministères et organisations depuis l'annuaire de l'État (2016)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--file",
            default=str(
                Path(settings.SHARED_DATA_DIR) / "cartographie-2016" / "administrations.json"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"Fichier introuvable : {path}")
        report = load_administrations(path)
        for line in report.lines():
            self.stdout.write(line)
