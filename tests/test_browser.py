"""The admin login page, Swagger UI and the browsable API render through the gateway in headless Chromium.

Every stylesheet and script the page loads must answer 200, and the Content-Security-Policy
must not block anything.
"""

import json
import shutil
import time

import pytest
from system import existing_services

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs chromium and chromium-driver (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def load(browser, url: str, *, ready_script: str) -> tuple[list[dict], list[dict]]:
    """Open `url`, wait for `ready_script` to be true; return (responses, console entries)."""
    browser.get_log("performance")
    browser.get_log("browser")
    browser.get(url)
    deadline = time.monotonic() + 15
    while not browser.execute_script(ready_script) and time.monotonic() < deadline:
        time.sleep(0.1)
    responses = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            params = message["params"]
            responses.append(
                {
                    "type": params["type"],
                    "status": params["response"]["status"],
                    "url": params["response"]["url"],
                }
            )
    return responses, browser.get_log("browser")


def assert_assets_loaded(responses, console, base: str):
    assets = [r for r in responses if r["type"] in ("Stylesheet", "Script")]
    assert any(r["type"] == "Stylesheet" for r in assets), responses
    assert any(r["type"] == "Script" for r in assets), responses
    failed = [r for r in assets if r["status"] != 200 or not r["url"].startswith(base)]
    assert not failed, failed
    blocked = [e["message"] for e in console if "Content Security Policy" in e["message"]]
    assert not blocked, blocked


@pytest.mark.parametrize("service", [s for s in ("products", "orders") if s in existing_services()])
def test_admin_login_page_renders_with_its_css(system, browser, service):
    responses, console = load(
        browser,
        f"{system.gateway_url}/admin/{service}/",
        ready_script="return document.readyState === 'complete'",
    )
    assert "/login/" in browser.current_url
    assert browser.find_element("css selector", "input[name=username]")
    # The admin's stylesheet applied: the login form sits in its styled container.
    assert browser.execute_script("return getComputedStyle(document.body).fontFamily") != ""
    assert_assets_loaded(responses, console, system.gateway_url)


@pytest.mark.parametrize("service", [s for s in ("products", "orders") if s in existing_services()])
def test_swagger_ui_renders_the_schema(system, browser, service):
    responses, console = load(
        browser,
        f"{system.gateway_url}/api/{service}/docs/",
        ready_script="return document.querySelectorAll('.opblock').length > 0",
    )
    assert browser.find_elements("css selector", ".opblock"), "Swagger UI rendered no operations"
    assert_assets_loaded(responses, console, system.gateway_url)
    assert any(r["url"].endswith(f"/api/{service}/schema/") and r["status"] == 200 for r in responses)


NAVBAR_BACKGROUND = "return getComputedStyle(document.querySelector('.navbar')).backgroundColor"
# prettify (the browsable API's script) wraps the tokens of the response's JSON in spans.
HIGHLIGHTED = "pre.prettyprint span.str"
READY_AND_HIGHLIGHTED = (
    f"return document.readyState === 'complete' && !!document.querySelector('{HIGHLIGHTED}')"
)


@pytest.mark.parametrize("page", ["list", "detail"])
def test_the_browsable_api_renders_styled_and_its_scripts_run(system, browser, new_product, page):
    """DRF's browsable API (a browser asks for text/html): its CSS applies and its JS runs."""
    product = new_product(name="Browsable lamp")
    path = "/api/products/" if page == "list" else f"/api/products/{product['id']}/"
    responses, console = load(
        browser,
        f"{system.gateway_url}{path}",
        ready_script=READY_AND_HIGHLIGHTED,
    )
    document = next(r for r in responses if r["type"] == "Document")
    assert document["status"] == 200 and document["url"].endswith(path)
    # Bootstrap's stylesheet applied: the navbar is dark, not the unstyled transparent default.
    assert browser.execute_script(NAVBAR_BACKGROUND) not in ("", "transparent", "rgba(0, 0, 0, 0)")
    # The scripts ran: jQuery is there and prettify highlighted the JSON of the response.
    assert browser.execute_script("return typeof window.jQuery") == "function"
    highlighted = [span.text for span in browser.find_elements("css selector", HIGHLIGHTED)]
    assert '"Browsable lamp"' in highlighted, highlighted[:20]
    assert_assets_loaded(responses, console, system.gateway_url)
    assert any("/static/products/rest_framework/css/bootstrap" in r["url"] for r in responses)
