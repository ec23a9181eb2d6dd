"""The report on the sample: variance, trajectories, PNG charts and a page a browser loads.

Two days a week apart (one per month) and both months are enough for every table: the daily
variance of the later day, both monthly tables and the trajectories.
"""

import base64
import re
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from cost_assets.definitions import defs
from cost_assets.report.summary import render_summary
from cost_assets.warehouse import Warehouse
from cost_assets_tests.harness import check_results, materialize_days, storage

SAMPLE = Path(__file__).resolve().parents[2] / "sample_exports"
DAYS = ["2026-10-31", "2026-11-07"]
MONTHS = ["2026-10-01", "2026-11-01"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("warehouse")
    instance = dg.DagsterInstance.ephemeral()
    resources = {"storage": storage(SAMPLE, root)}
    days = materialize_days(SAMPLE, root, DAYS, instance=instance)
    months = [
        defs.resolve_job_def("monthly_cogs").execute_in_process(
            partition_key=m, instance=instance, resources=resources
        )
        for m in MONTHS
    ]
    report = defs.resolve_job_def("report").execute_in_process(
        instance=instance, resources=resources
    )
    return root, days, months, report


def test_variance_and_trajectory_checks_pass_on_the_sample(built):
    _, days, months, _ = built
    for result in [*days, *months]:
        assert result.success
        failed = [n for n, e in check_results(result).items() if not e.passed]
        assert failed == []
    daily = check_results(days[1])["unit_cost_variance_daily/parts_sum_to_total"]
    assert daily.metadata["rows"].value > 0
    monthly = check_results(months[1])["unit_cost_variance_monthly/parts_sum_to_total"]
    assert monthly.metadata["largest_dollar_residual_usd"].value < 1e-6


def test_the_monthly_variance_explains_the_sample_month(built):
    root, *_ = built
    variance = Warehouse(str(root)).read("unit_cost_variance_monthly", "2026-11-01")
    assert variance.height > 0
    v4 = variance.filter(variance["model"] == "asr-fast-v4")
    assert v4.height and all("asr-fast-v4 GA" in note for note in v4["annotations"])
    # The first month has no month before it: an empty table, not invented "appearances".
    first = Warehouse(str(root)).read("unit_cost_variance_monthly", "2026-10-01")
    assert first.height == 0


def test_the_report_writes_non_empty_pngs_and_shows_them_in_metadata(built):
    root, _, _, report = built
    assert report.success
    folder = root / "report"
    pngs = sorted(folder.glob("*.png"))
    assert {p.name for p in pngs} == {
        "capacity_by_fleet.png",
        "worker_trajectories.png",
        "unit_cost_by_model.png",
        "variance_waterfall.png",
    }
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and 5_000 < len(data) < 400_000, png.name
    materialization = report.get_asset_materialization_events()[0]
    metadata = materialization.materialization.metadata
    for name in ("capacity_by_fleet", "worker_trajectories", "unit_cost_by_model"):
        markdown = metadata[name].value
        encoded = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown).group(1)
        assert base64.b64decode(encoded).startswith(PNG_SIGNATURE)
    assert metadata["report"].value == str(folder / "index.html")


def test_the_summary_ends_with_the_report_path(built):
    root, *_ = built
    tables = Warehouse(str(root))
    path = str(root / "report" / "index.html")
    summary = render_summary(tables, DAYS, {}, path)
    assert summary.splitlines()[-1] == f"Report: {path}"


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
def test_the_report_page_loads_every_chart_in_headless_chromium(built, tmp_path):
    root, *_ = built
    page = root / "report" / "index.html"
    html = page.read_text()
    assert html.count("<img ") == 4 and "Where the money went" in html
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout
    assert 'data-charts-loaded="4/4"' in dom, dom[:500]
    assert "charts loaded: 4/4" in dom
