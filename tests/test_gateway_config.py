"""The gateway template renders into a configuration real nginx accepts, for every option."""

import re
import subprocess

import pytest

from stack import gateway
from stack.registry import SERVICES

PORTS = {service.name: service.port for service in SERVICES}

pytestmark = pytest.mark.skipif(gateway.nginx_binary() is None, reason="nginx is not installed")


def render(tmp_path, env):
    return gateway.write_config(var=tmp_path, ports=PORTS, env=env)


def test_rendered_config_passes_nginx_check(tmp_path):
    config = render(tmp_path, {})
    gateway.check_config(config)
    site = (tmp_path / "run" / "gateway.conf").read_text()
    assert not re.search(r"\$\{[A-Z_]+\}", site)
    assert "listen 8000 default_server;" in site
    assert "server 127.0.0.1:3002;" in site


def test_rate_limit_off_switches_the_gateway_limit_off(tmp_path):
    render(tmp_path, {"RATE_LIMIT": "off"})
    site = (tmp_path / "run" / "gateway.conf").read_text()
    assert 'map "off" $commercex_limit_key' in site


def test_gateway_rate_and_port_are_configurable(tmp_path):
    config = render(
        tmp_path, {"GATEWAY_PORT": "8123", "GATEWAY_RATE_LIMIT": "7r/s", "GATEWAY_RATE_BURST": "3"}
    )
    gateway.check_config(config)
    site = (tmp_path / "run" / "gateway.conf").read_text()
    assert "listen 8123 default_server;" in site
    assert "rate=7r/s" in site
    assert "burst=3 nodelay" in site
    assert 'map "on" $commercex_limit_key' in site


def test_an_invalid_rate_is_reported_by_nginx(tmp_path):
    config = render(tmp_path, {"GATEWAY_RATE_LIMIT": "lots"})
    with pytest.raises(RuntimeError, match="invalid gateway configuration"):
        gateway.check_config(config)


def test_template_without_a_value_for_a_placeholder_fails():
    with pytest.raises(KeyError, match="MISSING_ONE"):
        gateway.render_template("listen ${MISSING_ONE};", {})


def test_nginx_variables_are_left_alone():
    assert gateway.render_template("$request_id ${A}", {"A": "x"}) == "$request_id x"


def test_template_is_usable_with_envsubst(tmp_path):
    """The deploy files fill the template with envsubst: check the result the same way."""
    values = gateway.gateway_values(ports=PORTS, access_log=tmp_path / "access.log", env={})
    envsubst = subprocess.run(["which", "envsubst"], capture_output=True).returncode == 0
    if not envsubst:
        pytest.skip("envsubst (gettext-base) is not installed")
    names = " ".join(f"${{{name}}}" for name in values)
    result = subprocess.run(
        ["envsubst", names],
        input=gateway.TEMPLATE.read_text(),
        capture_output=True,
        text=True,
        env=values,
        check=True,
    )
    assert result.stdout == gateway.render_template(gateway.TEMPLATE.read_text(), values)


@pytest.fixture
def lone_gateway(tmp_path):
    """A real nginx from the template whose services are all down, on a free port."""
    import signal
    import socket

    from stack import procs

    dead = {service.name: procs.free_port() for service in SERVICES}
    port = procs.free_port()
    env = {"GATEWAY_PORT": str(port), "GATEWAY_RATE_LIMIT": "1r/m", "GATEWAY_RATE_BURST": "2"}
    config = gateway.write_config(var=tmp_path, ports=dead, env=env)
    process = procs.start(gateway.nginx_command(config), log=tmp_path / "log" / "nginx.log")
    assert procs.wait_for_port("127.0.0.1", port, timeout=10)
    yield f"http://127.0.0.1:{port}"
    procs.stop(process, sig=signal.SIGTERM)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_a_service_that_is_down_answers_503_json_and_the_limit_answers_429(lone_gateway):
    import httpx

    with httpx.Client(base_url=lone_gateway) as client:
        for _ in range(3):  # the rate (1/min) plus the burst (2) pass to the upstream
            response = client.get("/api/orders/", headers={"X-Request-ID": "lone-1"})
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"detail": "Service temporarily unavailable."}
            assert response.headers["x-request-id"] == "lone-1"
        limited = client.get("/api/orders/")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"
        assert limited.headers["content-type"] == "application/json"
        assert "detail" in limited.json()
        # The limit is the gateway's, per IP, for proxied routes: its own health still answers.
        assert client.get("/health").status_code == 200
