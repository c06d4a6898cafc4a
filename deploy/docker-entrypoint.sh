#!/bin/sh
# Run one CommerceX process inside the image: the service is $SERVICE, the process is $1.
#
#   web                gunicorn serving $SERVICE on $PORT (default 8000)
#   consume            the service's Kafka consumer (manage.py consume)
#   relay              the service's outbox relay (manage.py relay)
#   work               consumer, effects and relay in one process (manage.py work, as `up` runs)
#   migrate            migrate $SERVICE's database
#   migrate-all        migrate every service's database (one-shot job; needs every *_DATABASE_URL)
#   await-migrations   wait until $SERVICE's database has every migration (init container)
#   healthcheck        exit 0 when GET /api/$SERVICE/health answers 200
#   collectstatic-all  collect every service's static files (image build)
#   manage ARGS...     python manage.py ARGS... for $SERVICE
#   anything else      executed as given (e.g. sh)
set -eu

APP_DIR="${COMMERCEX_APP_DIR:-/app}"

service_dir() {
    : "${SERVICE:?set SERVICE to the service this container runs (users, products, ...)}"
    if [ ! -f "$APP_DIR/services/$SERVICE/manage.py" ]; then
        echo "commercex: unknown service '$SERVICE'" >&2
        exit 64
    fi
    echo "$APP_DIR/services/$SERVICE"
}

each_service() {
    for dir in "$APP_DIR"/services/*/; do
        if [ -f "$dir/manage.py" ]; then
            echo "commercex: $(basename "$dir"): $*" >&2
            (cd "$dir" && python manage.py "$@")
        fi
    done
}

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
    web)
        dir="$(service_dir)"
        cd "$dir"
        # One /metrics for every gunicorn worker: prometheus_client's multiprocess mode
        # (docs/OBSERVABILITY.md), its folder emptied at each start.
        export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/commercex-metrics}"
        rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        # gthread workers keep the gateway's upstream connections alive; the access log is
        # written by common's AccessLogMiddleware as JSON, so gunicorn's own is off. Keep-alive
        # outlasts nginx's upstream keep-alive (60 s), so nginx never reuses a closed one.
        exec gunicorn "$SERVICE.wsgi:application" \
            --bind "0.0.0.0:${PORT:-8000}" \
            --workers "${GUNICORN_WORKERS:-2}" \
            --worker-class gthread \
            --threads "${GUNICORN_THREADS:-4}" \
            --worker-tmp-dir /dev/shm \
            --timeout 30 \
            --graceful-timeout 25 \
            --keep-alive 75 \
            --forwarded-allow-ips "*" \
            --preload \
            --no-control-socket \
            --error-logfile - \
            "$@"
        ;;
    consume | relay | work)
        dir="$(service_dir)"
        cd "$dir"
        # Its own /metrics on METRICS_PORT (the web container's does not reach this one).
        export METRICS_PORT="${METRICS_PORT:-9100}"
        exec python manage.py "$command" "$@"
        ;;
    migrate)
        dir="$(service_dir)"
        cd "$dir"
        exec python manage.py migrate --noinput "$@"
        ;;
    migrate-all)
        each_service migrate --noinput
        ;;
    await-migrations)
        dir="$(service_dir)"
        cd "$dir"
        waited=0
        until python manage.py migrate --check >/dev/null 2>&1; do
            if [ "$waited" -ge "${MIGRATION_WAIT_SECONDS:-600}" ]; then
                echo "commercex: $SERVICE's database still lacks migrations after ${waited}s" >&2
                exit 1
            fi
            sleep 5
            waited=$((waited + 5))
        done
        ;;
    healthcheck)
        exec python -c '
import os, sys, urllib.request
service, port = os.environ["SERVICE"], os.environ.get("PORT", "8000")
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/api/{service}/health", headers={"Host": "localhost"}
)
try:
    with urllib.request.urlopen(request, timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    print(f"health check failed: {exc}", file=sys.stderr)
    sys.exit(1)
'
        ;;
    collectstatic-all)
        # Local settings need no secrets (static files do not depend on them); the
        # throwaway keys they generate are removed before the layer is committed.
        (
            export DJANGO_ENV=local
            each_service collectstatic --noinput -v 0
        )
        rm -rf "${COMMERCEX_VAR_DIR:?}/keys"
        ;;
    manage)
        dir="$(service_dir)"
        cd "$dir"
        exec python manage.py "$@"
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
