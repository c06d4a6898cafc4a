"""Metrics (Prometheus) and traces (OpenTelemetry, W3C Trace Context) for every service.

- `metrics`: the event side's counters and histograms, and the functions the event core
  and services call; `collectors`: gauges computed at scrape time (outbox, consumer lag).
- `tracing`: trace context through HTTP and Kafka, spans exported over OTLP/HTTP when
  `OTEL_EXPORTER_OTLP_ENDPOINT` is set (nothing recorded otherwise).
- `views.metrics`: `GET /metrics` on the service's own port; `middleware`: the request side.
See docs/OBSERVABILITY.md.
"""
