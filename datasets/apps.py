from django.apps import AppConfig
from django.db.backends.signals import connection_created


class DatasetsConfig(AppConfig):
    name = "datasets"
    verbose_name = "Inventaire"

    def ready(self) -> None:
        from datasets.search import register_sqlite_functions

        # The SQLite fallback's search folds case and accents in Python (datasets/search.py).
        connection_created.connect(register_sqlite_functions, dispatch_uid="datasets_sqlite_fold")
