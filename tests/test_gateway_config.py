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
