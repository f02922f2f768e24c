"""The docker-compose stack and the image, read as data (Docker does not run on CI machines)."""

import subprocess
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_the_five_services_with_health_checks_and_volumes():
    stack = compose()
    services = stack["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert {"postgres-data", "redis-data"} <= set(stack["volumes"])


def test_web_worker_and_beat_share_one_image_in_production_mode():
    services = compose()["services"]
    app = [services[name] for name in ("web", "worker", "beat")]
    assert {s["image"] for s in app} == {"portail-amd:latest"}
    assert [s["command"] for s in app] == [["web"], ["worker"], ["beat"]]
    for service in app:
        env = service["environment"]
        assert env["PORTAL_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://portal:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/portal")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "${SECRET_KEY:?" in env["SECRET_KEY"]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    # Tasks need the tables: worker and beat wait for web, which migrates before it is healthy.
    assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["beat"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_image_runs_as_a_non_root_user_with_collected_static_files():
    dockerfile = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "pip install --no-compile -r requirements.lock" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "\nUSER portal\n" in dockerfile
    assert dockerfile.index("USER portal") > dockerfile.index("collectstatic")
    ignored = (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)


def test_entrypoint_is_valid_shell_and_starts_each_process():
    script = BASE_DIR / "docker" / "entrypoint.sh"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    text = script.read_text(encoding="utf-8")
    assert "manage.py migrate --noinput" in text
    assert "exec gunicorn network_portal.wsgi:application" in text
    assert "exec celery -A network_portal worker" in text
    assert "exec celery -A network_portal beat" in text
