# syntax=docker/dockerfile:1
# One image for every CommerceX process: any service's web process (gunicorn), Kafka
# consumer or outbox relay, chosen by SERVICE and the command (see deploy/docker-entrypoint.sh
# and docs/DEPLOY.md).
#
#   docker build -t commercex:latest .
#   docker run --env-file deploy/compose.env -e SERVICE=users commercex:latest web

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: compile what has no wheel, install the pinned runtime into a venv ----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Build stage only, so no version pins: whatever Debian stable ships; no compiler at run time.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/base.txt /build/requirements/base.txt
RUN pip install -r /build/requirements/base.txt
COPY common/ /build/common/
RUN pip install /build/common

# --- runtime: the venv, the services and their static files; no compiler, non-root ------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    COMMERCEX_APP_DIR=/app \
    COMMERCEX_VAR_DIR=/app/var \
    PORT=8000 \
    GUNICORN_WORKERS=2
RUN groupadd --system --gid 10001 commercex \
    && useradd --system --uid 10001 --gid commercex --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin commercex
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker-entrypoint.sh /usr/local/bin/commercex
COPY services/ /app/services/
WORKDIR /app
# Static files are collected once, at build time (whitenoise serves them at run time).
RUN commercex collectstatic-all \
    && chown -R commercex:commercex /app/var
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["commercex"]
CMD ["web"]
