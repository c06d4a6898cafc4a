#!/bin/sh
# Create one role and one database per CommerceX service, on the PostgreSQL container's
# first start (docker-entrypoint-initdb.d). Each service's <SERVICE>_DATABASE_URL,
# postgres://ROLE:PASSWORD@HOST:PORT/DATABASE, names the role, its password and its
# database; the role owns that database and nothing else, and no other role may connect to
# it. Passwords must be URL-safe (e.g. `openssl rand -hex 24`). Safe to run again.
set -eu

create_service_database() {
    url="$1"
    rest="${url#*://}"
    credentials="${rest%%@*}"
    role="${credentials%%:*}"
    password="${credentials#*:}"
    database="${rest#*/}"
    database="${database%%\?*}"
    echo "init-databases: role $role, database $database"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        --set=role="$role" --set=password="$password" --set=database="$database" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SQL
}

# Every *_DATABASE_URL in this container's environment (docker-compose.yml passes the six).
found=0
for name in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*_DATABASE_URL\)=.*/\1/p' | sort); do
    eval "url=\${$name}"
    create_service_database "$url"
    found=$((found + 1))
done
if [ "$found" -eq 0 ]; then
    echo "init-databases: no *_DATABASE_URL variable set: no service database created" >&2
    false
fi
