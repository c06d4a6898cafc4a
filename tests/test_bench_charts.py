"""The bench's charts are well-formed SVG drawn from the figures of a report."""

import xml.etree.ElementTree as ET

from bench import charts

SVG = "{http://www.w3.org/2000/svg}"


def step(rate: float, seconds: float, p50: float, p99: float, confirmed: int) -> dict:
    return {
        "offered_rate": rate,
        "seconds": seconds,
        "confirmed": confirmed,
        "pending_to_confirmed_p50_ms": p50,
        "pending_to_confirmed_p99_ms": p99,
        "cpu_ms_per_order": {"system_total": 30.0, "machine": 40.0, "orders-web": 6.0, "postgresql": 4.0},
    }


REPORT = {
    "scenarios": {
        "placement": {"cpu_ms_per_order": {"orders-web": 5.5, "postgresql": 3.0, "bench": 1.0}},
        "saga": {"200": step(200, 30, 600, 1100, 3000)},
        "saga_max": {"steps": [step(10, 10, 50, 90, 100), step(20, 10, 80, 120, 200)]},
    }
}


def test_the_saga_chart_plots_latency_and_throughput_per_offered_rate():
    root = ET.fromstring(  # noqa: S314
        charts.saga_chart(REPORT)
    )

    lines = root.findall(f"{SVG}polyline")
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert len(lines) == 4  # p50, p99, the offered diagonal, confirmed/s
    assert "p99" in texts and "confirmed / s" in texts
    assert len(lines[0].get("points").split()) == 3  # the three runs, by offered rate


def test_the_cpu_chart_has_one_bar_per_run_without_the_totals():
    root = ET.fromstring(  # noqa: S314
        charts.cpu_chart(REPORT)
    )

    titles = [element.text for element in root.iter(f"{SVG}title")]
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "placement (32 clients)" in texts and "saga 200/s, 30 s" in texts
    assert "orders-web 5.5 ms" in titles
    assert not any(title.startswith(("machine", "system_total", "bench")) for title in titles)


def test_charts_are_written_beside_the_results(tmp_path):
    written = charts.write_charts({"scenarios": {}}, tmp_path)

    assert [path.name for path in written] == ["saga.svg", "cpu.svg"]
    assert all(
        ET.parse(path)  # noqa: S314
        .getroot()
        .tag
        == f"{SVG}svg"
        for path in written
    )


def test_fast_runs_and_failed_scenarios_still_draw():
    report = {"scenarios": {"saga": {"50": step(50, 5, 2, 4, 250)}, "saga_max": {"error": "boom"}}}

    for chart in (charts.saga_chart(report), charts.cpu_chart(report)):
        assert ET.fromstring(chart).tag == f"{SVG}svg"  # noqa: S314
