"""Production settings switch on by environment and pass `manage.py check --deploy` cleanly;
the Content Security Policy lets the DSFR scripts run through their nonce."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        PORTAL_ENV="production",
        DEBUG="false",
        SECRET_KEY="x7Jq!production-like-secret-0123456789-abcdefghijklmnopqrstuvwxyzABCD",
        ALLOWED_HOSTS="portail-amd.numerique.gouv.fr",
        SITE_URL="https://portail-amd.numerique.gouv.fr",
        DATABASE_URL=os.environ.get(
            "DATABASE_URL", "postgres://portal:portal@127.0.0.1:5432/portal"
        ),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        DJANGO_SETTINGS_MODULE="network_portal.settings",
    )
    env.update(overrides)
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_reports_no_issue_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_development_settings_would_fail_check_deploy():
    """The check above can fail: without PORTAL_ENV=production the same command complains."""
    env = production_env(PORTAL_ENV="development", DEBUG="true")
    result = manage("check", "--deploy", "--tag", "security", env=env)
    output = result.stdout + result.stderr
    assert "security.W" in output


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY doit être défini en production." in result.stderr


def test_production_refuses_to_start_without_its_public_address():
    """Every URI of the DCAT catalogue is built on SITE_URL: a production without it would
    publish localhost identifiers to data.gouv.fr."""
    env = production_env()
    env.pop("SITE_URL")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SITE_URL doit être défini en production" in result.stderr


def test_production_hardening_values():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.STORAGES['staticfiles']['BACKEND'])"
    )
    result = manage("shell", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "False True True True 31536000 core.staticfiles.ManifestStorage"
    )


@pytest.mark.django_db
def test_csp_header_carries_the_nonce_of_the_dsfr_scripts(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(client):
    first = client.get("/accounts/login/")["Content-Security-Policy"]
    second = client.get("/accounts/login/")["Content-Security-Policy"]
    assert re.search(r"'nonce-[^']+'", first).group(0) != re.search(r"'nonce-[^']+'", second).group(
        0
    )


@pytest.mark.django_db
def test_health_check_reports_database_and_cache(client):
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response.json() == {"statut": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_health_check_answers_503_when_the_cache_is_down(client, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("Redis injoignable")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json()["cache"] == "indisponible"
