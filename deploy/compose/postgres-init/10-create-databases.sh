#!/bin/sh
# Creates one role and one database per Junheng service (design §3: no service reads another's
# tables). Run once by the postgres image's entrypoint on an empty data directory
# (/docker-entrypoint-initdb.d). Passwords come from the environment:
#   ENROLLMENT_DB_PASSWORD STAFFING_DB_PASSWORD ASSISTANCE_DB_PASSWORD
#   EVALUATION_DB_PASSWORD GATEWAY_DB_PASSWORD
# Each role gets a CONNECTION LIMIT (third argument): the most pods that may hold a pool at once
# (replicas + rolling-update surge: 3 + 1 in the production overlay) × (pool 5 + overflow 5) =
# 40, plus 5 for the migrations job, psql and pg_dump. The five limits (225) plus the superuser
# reserve (3) fit max_connections=250 (set on the postgres server). A process refuses to start
# when <SERVICE>_REPLICAS × (POOL_SIZE + MAX_OVERFLOW) exceeds its role's limit.
# docs/deploy.md, "Sizing pools".
# The same script is embedded in deploy/k8s/base/postgres/init-configmap.yaml (a test keeps
# the two identical).
set -eu

create() {
  name="$1"
  password="$2"
  limit="$3"
  if [ -z "$password" ]; then
    echo "init: empty password for database role '$name'" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v name="$name" -v password="$password" -v limit="$limit" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password' CONNECTION LIMIT :limit;
CREATE DATABASE :"name" OWNER :"name" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
}

create enrollment "${ENROLLMENT_DB_PASSWORD:-}" 45
create staffing   "${STAFFING_DB_PASSWORD:-}" 45
create assistance "${ASSISTANCE_DB_PASSWORD:-}" 45
create evaluation "${EVALUATION_DB_PASSWORD:-}" 45
create gateway    "${GATEWAY_DB_PASSWORD:-}" 45
