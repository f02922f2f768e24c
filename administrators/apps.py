from django.apps import AppConfig


class AdministratorsConfig(AppConfig):
    name = "administrators"
    verbose_name = "Réseau"

    def ready(self) -> None:
        from administrators import checks  # noqa: F401 - registers the system check
