"""`GET /metrics`: the service's metrics in the Prometheus text format, on its own port."""

import os

from django.http import HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from common.observability import metrics as service_metrics
from common.observability.collectors import StateCollector, consumed_topics

_state_registry = CollectorRegistry(auto_describe=False)
_state_registry.register(StateCollector())


def process_registry() -> CollectorRegistry:
    """Every process of the service (multiprocess mode), or just this one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


_prepared: list[int] = []


def metrics(request):
    if request.method not in ("GET", "HEAD"):
        return JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
    if os.getpid() not in _prepared:
        service_metrics.prepare(consumed_topics())
        _prepared.append(os.getpid())
    body = generate_latest(process_registry()) + generate_latest(_state_registry)
    # The 0.0.4 text format: what every Prometheus version reads.
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
