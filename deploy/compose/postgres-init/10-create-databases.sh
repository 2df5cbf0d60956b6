#!/bin/sh
# Creates one role and one database per Junheng service (design §3: no service reads another's
# tables). Run once by the postgres image's entrypoint on an empty data directory
# (/docker-entrypoint-initdb.d). Passwords come from the environment:
#   ENROLLMENT_DB_PASSWORD STAFFING_DB_PASSWORD ASSISTANCE_DB_PASSWORD
#   EVALUATION_DB_PASSWORD GATEWAY_DB_PASSWORD
# The same script is embedded in deploy/k8s/base/postgres/init-configmap.yaml (a test keeps
# the two identical).
set -eu

create() {
  name="$1"
  password="$2"
  if [ -z "$password" ]; then
    echo "init: empty password for database role '$name'" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
}

create enrollment "${ENROLLMENT_DB_PASSWORD:-}"
create staffing   "${STAFFING_DB_PASSWORD:-}"
create assistance "${ASSISTANCE_DB_PASSWORD:-}"
create evaluation "${EVALUATION_DB_PASSWORD:-}"
create gateway    "${GATEWAY_DB_PASSWORD:-}"
