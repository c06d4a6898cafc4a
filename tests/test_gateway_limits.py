"""The gateway's own answers, on a real nginx from the template in front of a slow stand-in service.

- GATEWAY_CONN_LIMIT: one client IP with more requests in flight than the limit gets the
  gateway's 429 JSON with Retry-After for the rest; another client is served meanwhile.
- Every error nginx produces by itself is JSON: TRACE and unknown methods (405), an
  unknown transfer encoding (501), an unknown HTTP version (505), unparsable requests (400).
- The service's Content-Security-Policy passes through; the gateway's own answers get the
  strict one.
"""

import json
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from stack import gateway, procs
from stack.registry import SERVICES

pytestmark = pytest.mark.skipif(gateway.nginx_binary() is None, reason="nginx is not installed")

SLOW_SECONDS = 1.5
CONNECTIONS = 3
SERVICE_CSP = "default-src 'none'; style-src 'self'"
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class SlowService(BaseHTTPRequestHandler):
    """Answers every GET after SLOW_SECONDS (a `fast` path at once; a `page` is HTML with a CSP)."""

    def do_GET(self):
        if "fast" not in self.path:
            time.sleep(SLOW_SECONDS)
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if "page" in self.path else "application/json")
        if "page" in self.path:
            self.send_header("Content-Security-Policy", SERVICE_CSP)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def limited_gateway(tmp_path_factory):
    """nginx with GATEWAY_CONN_LIMIT=3 whose products upstream is the slow stand-in."""
    tmp = tmp_path_factory.mktemp("gateway")
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ports = {service.name: procs.free_port() for service in SERVICES}
    ports["products"] = server.server_address[1]
    port = procs.free_port()
    env = {"GATEWAY_PORT": str(port), "GATEWAY_CONN_LIMIT": str(CONNECTIONS)}
    config = gateway.write_config(var=tmp, ports=ports, env=env)
    process = procs.start(gateway.nginx_command(config), log=tmp / "log" / "nginx.log")
    assert procs.wait_for_port("127.0.0.1", port, timeout=10)
    yield {"url": f"http://127.0.0.1:{port}", "port": port}
    procs.stop(process, sig=signal.SIGTERM)
    server.shutdown()


def get(url: str, path: str, *, source: str = "127.0.0.1") -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=url, transport=transport, timeout=15) as client:
        return client.get(path)


def test_a_client_over_the_connection_limit_gets_429_and_others_are_served(limited_gateway):
    url = limited_gateway["url"]
    with ThreadPoolExecutor(max_workers=12) as pool:
        flood = [pool.submit(get, url, "/api/products/slow", source="127.0.0.51") for _ in range(10)]
        time.sleep(0.3)  # the flood is in flight
        bystander = get(url, "/api/products/slow", source="127.0.0.52")
        responses = [future.result() for future in flood]

    codes = sorted(response.status_code for response in responses)
    assert codes == [200] * CONNECTIONS + [429] * (10 - CONNECTIONS), codes
    for response in responses:
        if response.status_code == 429:
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"detail": "Too many requests. Try again later."}
            assert response.headers["retry-after"] == "1"
    assert bystander.status_code == 200
    # Once the flooder's requests are done it is served again.
    assert get(url, "/api/products/fast", source="127.0.0.51").status_code == 200


def test_the_connection_limit_can_be_switched_off(tmp_path):
    ports = {service.name: service.port for service in SERVICES}
    gateway.write_config(var=tmp_path, ports=ports, env={"GATEWAY_CONN_LIMIT": "off"})
    site = (tmp_path / "run" / "gateway.conf").read_text()
    assert 'map "off" $commercex_conn_key' in site
    gateway.write_config(var=tmp_path, ports=ports, env={"GATEWAY_CONN_LIMIT": "17"})
    site = (tmp_path / "run" / "gateway.conf").read_text()
    assert 'map "on" $commercex_conn_key' in site and "limit_conn commercex_conn_per_ip 17;" in site


def raw(port: int, request: bytes) -> tuple[str, dict, bytes]:
    """Send bytes as they are; return (status line, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"TRACE /api/products/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"PROPFIND /api/products/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"FOO /admin/products/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"POST /api/products/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"GET / HTTP/3.0\r\nHost: x\r\nConnection: close\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\nConnection: close\r\n\r\n", 400),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400),
    ],
    ids=["trace", "trace-api", "propfind", "unknown-method", "transfer-encoding", "http-3.0", "no-host",
         "header-too-large", "tls-on-plain-port"],
)  # fmt: skip
def test_every_error_the_gateway_makes_itself_is_json(limited_gateway, request_bytes, status):
    status_line, headers, body = raw(limited_gateway["port"], request_bytes)

    assert status_line.split()[1] == str(status), status_line
    assert headers["content-type"] == "application/json"
    assert "detail" in json.loads(body)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == STRICT_CSP


def test_the_services_content_security_policy_passes_through_once(limited_gateway):
    page = get(limited_gateway["url"], "/api/products/page/fast")
    api = get(limited_gateway["url"], "/api/products/fast")

    assert page.headers.get_list("content-security-policy") == [SERVICE_CSP]
    assert api.headers.get_list("content-security-policy") == [STRICT_CSP]  # the service set none
