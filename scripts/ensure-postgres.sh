#!/usr/bin/env bash
# Make sure a PostgreSQL answers on 127.0.0.1:5432 with a role and database "vigie";
# install and start Debian's when none answers. Prints the database URL to use.
set -euo pipefail

url="postgresql://vigie:vigie@127.0.0.1:5432/vigie"
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null || ! ready; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "No PostgreSQL on 127.0.0.1:5432: installing Debian's" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
  ready || { echo "PostgreSQL did not start" >&2; exit 1; }
fi

# As superuser: over TCP where it trusts us, otherwise through the local socket as postgres.
as_admin() {
  if psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    psql -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
  else
    runuser -u postgres -- psql -q -d postgres -v ON_ERROR_STOP=1 "$@"
  fi
}
as_admin -tAc "select 1 from pg_roles where rolname='vigie'" | grep -q 1 \
  || as_admin -c "create role vigie login createdb password 'vigie'" >&2
as_admin -tAc "select 1 from pg_database where datname='vigie'" | grep -q 1 \
  || as_admin -c "create database vigie owner vigie" >&2
echo "$url"
