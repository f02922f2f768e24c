#!/bin/sh
# Starts one process of the portal: web (migrations, then gunicorn), worker or beat.
# Any other command is run as is (e.g. `docker compose run --rm web python manage.py shell`).
set -eu

case "${1:-web}" in
  web)
    python manage.py migrate --noinput
    exec gunicorn network_portal.wsgi:application \
      --bind "0.0.0.0:${PORT:-8000}" \
      --workers "${GUNICORN_WORKERS:-3}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
      --access-logfile - \
      --error-logfile -
    ;;
  worker)
    exec celery -A network_portal worker --loglevel "${CELERY_LOG_LEVEL:-info}" \
      --concurrency "${CELERY_CONCURRENCY:-2}"
    ;;
  beat)
    exec celery -A network_portal beat --loglevel "${CELERY_LOG_LEVEL:-info}" \
      --schedule var/celerybeat-schedule
    ;;
  *)
    exec "$@"
    ;;
esac
