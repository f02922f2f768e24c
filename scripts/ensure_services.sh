#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1, starting them when they are installed but
# stopped, and creates the portal's role and database when missing. Idempotent.
set -euo pipefail

PG_USER=${PG_USER:-portal}
PG_PASSWORD=${PG_PASSWORD:-portal}
PG_DB=${PG_DB:-portal}

as_postgres() {
  if [ "$(id -u)" = "0" ] && id postgres >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL n'est pas installé (lancez .ci/run ou apt-get install postgresql)." >&2
  exit 1
fi
if ! pg_up; then
  echo "Démarrage de PostgreSQL…"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL ne répond pas sur 127.0.0.1:5432." >&2; exit 1; }
fi

psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -qAt -d postgres "$@"; }
if ! psql_admin -c "select 1 from pg_roles where rolname='${PG_USER}'" | grep -q 1; then
  echo "Création du rôle ${PG_USER}…"
  psql_admin -c "create role ${PG_USER} login createdb password '${PG_PASSWORD}'"
fi
if ! psql_admin -c "select 1 from pg_database where datname='${PG_DB}'" | grep -q 1; then
  echo "Création de la base ${PG_DB}…"
  psql_admin -c "create database ${PG_DB} owner ${PG_USER}"
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! command -v redis-server >/dev/null 2>&1; then
  echo "Redis n'est pas installé (lancez .ci/run ou apt-get install redis-server)." >&2
  exit 1
fi
if ! redis_up; then
  echo "Démarrage de Redis…"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-portal.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis ne répond pas sur 127.0.0.1:6379." >&2; exit 1; }
fi
echo "PostgreSQL et Redis répondent."
