# One image for the three processes of the portal: web (gunicorn + whitenoise), worker and beat
# (Celery). See docker-compose.yml; the command chooses the process (docker/entrypoint.sh).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_ENV=production \
    PORT=8000

WORKDIR /app

# A system account without a shell or a writable code folder runs everything.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --shell /usr/sbin/nologin portal

# Dependencies first (pinned): this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --no-compile -r requirements.lock

COPY . .

# Static files are collected (hashed names, compressed) at build time: whitenoise serves them.
# The settings need a secret to load; this one exists only during the build.
RUN SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=localhost SITE_URL=http://localhost \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p var/media \
    && chown -R portal:portal var \
    && chmod +x docker/entrypoint.sh

USER portal
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
