"""Hostile input generated from each service's own OpenAPI schema (schemathesis), through the gateway.

For every operation of every service, a few valid and a few invalid requests are sent as
a customer and as an admin: none may answer 5xx, and every documented answer must match
the schema (body and content type). Few examples per operation keep CI short; hypothesis
keeps no database, so each run explores afresh.
"""

import contextlib

import drills
import hypothesis
import pytest
import requests
import schemathesis
from requests.adapters import HTTPAdapter
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode
from system import existing_services

SOURCE = "127.0.0.31"
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
CHECKS = {
    GenerationMode.POSITIVE: [not_a_server_error, response_schema_conformance, content_type_conformance],
    GenerationMode.NEGATIVE: [not_a_server_error, content_type_conformance],
}


class SourceAdapter(HTTPAdapter):
    """Send from SOURCE, so the flood of odd requests spends a rate-limit budget of its own."""

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (SOURCE, 0)
        return super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def hostile(system, admin):
    with drills.client(system, source=SOURCE) as api:
        admin = drills.login_again(api, admin)
        customer = drills.register(api, "hostile")
    session = requests.Session()
    session.mount("http://", SourceAdapter())
    yield {"admin": admin, "customer": customer, "session": session, "base_url": system.gateway_url}
    session.close()


def load_schema(base_url: str, service: str):
    raw = requests.get(
        f"{base_url}/api/{service}/schema/", headers={"Accept": "application/json"}, timeout=10
    )
    assert raw.status_code == 200, raw.text
    return schemathesis.openapi.from_dict(raw.json())


def checker(hostile, operation, mode, headers: dict, examples: int, sent: list):
    """A hypothesis test: `examples` generated requests of `operation` in `mode`, sent with `headers`."""

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        # The caller's token always wins over whatever the generator put in.
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(base_url=hostile["base_url"], session=hostile["session"], timeout=15)
        sent[0] += 1
        case.validate_response(response, checks=CHECKS[mode])

    return check


@pytest.mark.parametrize("service", existing_services())
def test_generated_requests_never_get_a_5xx_and_match_the_schema(hostile, service):
    schema = load_schema(hostile["base_url"], service)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{service} documents no operation"
    sent = [0]
    for operation in operations:
        for role in ("customer", "admin"):
            for mode, examples in EXAMPLES.items():
                check = checker(hostile, operation, mode, hostile[role]["headers"], examples, sent)
                # Unsatisfiable: no invalid variant exists for this operation (e.g. no parameters).
                with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                    check()
    sent = sent[0]
    print(f"\n[hostile] {service}: {len(operations)} operations, {sent} generated requests, no 5xx")
    assert sent >= len(operations)
