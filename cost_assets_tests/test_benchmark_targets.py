"""The benchmark judges the issue's targets run by run, and can say they are not met."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmark_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(floor: float, pure: float, rss_mb: float, dagster: float, rows: int) -> dict:
    def measure(wall: float, rss: float = 500.0) -> dict:
        return {"wall_s": wall, "peak_rss_mb": rss, "rows_in": rows}

    return {
        "floor": measure(floor),
        "pure": measure(pure, rss_mb),
        "dagster": measure(dagster),
        "pure_over_floor": round(pure / floor, 2),
    }


def test_one_slow_run_fails_a_target_for_large(bench, tmp_path):
    runs = [_run(4.0, 15.0, 4000, 60, 14_000_000), _run(4.0, 17.0, 4000, 60, 14_000_000)]
    found = bench.targets(runs, tmp_path, "large")
    assert found["pure_over_floor"] == {"limit": 4.0, "runs": [3.75, 4.25], "met": False}
    assert found["pure_peak_rss_mb"]["met"] and found["dagster_wall_s"]["met"]
    assert "pure_growth_over_row_growth" not in found  # no medium report to compare with


def test_growth_is_judged_against_medium_by_median_wall_time(bench, tmp_path):
    medium = [_run(0.8, 3.0, 700, 10, 1_400_000) for _ in range(3)]
    (tmp_path / "benchmark-medium.json").write_text(json.dumps({"runs": medium}))
    # Rows grow 10x; pure's median wall time 3 s -> 37 s is 12.33x: 1.23 > 1.2, not met.
    # Dagster's 10 s -> 60 s is 6x: 0.6, met.
    large = [_run(4.0, w, 4000, 60, 14_000_000) for w in (36.0, 37.0, 50.0)]
    found = bench.targets(large, tmp_path, "large")
    assert found["pure_growth_over_row_growth"]["runs"] == [1.23]
    assert found["pure_growth_over_row_growth"]["met"] is False
    assert found["dagster_growth_over_row_growth"]["runs"] == [0.6]
    assert found["dagster_growth_over_row_growth"]["met"] is True


def test_targets_are_not_judged_below_large(bench, tmp_path):
    found = bench.targets([_run(1.0, 9.0, 9000, 200, 1000)], tmp_path, "medium")
    assert {t["met"] for t in found.values()} == {None}
