"""Benchmark one day of cost-assets against the floor: a bare scan of the columns it needs.

    python benchmarks/run.py --scale small|medium|large [--out report.json]

Generates a sources root with the sample generator at the given scale, then measures, each in
its own child process so that peak memory is the child's own:

  (a) floor     a bare Polars scan of exactly the columns the pipeline reads from the day's
                FOCUS and CUR files;
  (b) dagster   materializing the day's whole graph through Dagster (in-process executor);
  (c) pure      the same methodology chained without Dagster;
  (d) backfill  seven days through Dagster, oldest first.

For each: wall time, CPU time, peak RSS, rows in, rows per second, and the ratios (b)/(a) and
(c)/(a). Writes a JSON report; the last line printed is a one-line summary.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Scale factors of the sample generator: small is the committed sample's company; medium and
# large approach the issue's ~1M and ~10M CUR rows a day.
SCALES = {"small": 1, "medium": 250, "large": 2500}
FIRST_DAY = date(2026, 11, 2)
BACKFILL_DAYS = 7


def _child(measure: str, sources: Path, warehouse: Path, day: str) -> dict:
    """Run one measurement in a child process; wall, CPU and peak RSS are the child's."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            measure,
            "--sources",
            str(sources),
            "--warehouse",
            str(warehouse),
            "--day",
            day,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(warehouse / ".dagster_home")},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{measure} failed:\n{completed.stdout}\n{completed.stderr}")
    rows_in, peak_kb = (int(v) for v in completed.stdout.strip().splitlines()[-1].split())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rows_in": rows_in,
        "rows_per_s": round(rows_in / wall) if wall else None,
    }


def measure_floor(sources: Path, day: date) -> int:
    import polars as pl

    from cost_assets.sources.schemas import CUR_COLUMNS_USED, FOCUS_COLUMNS_USED

    period = f"BILLING_PERIOD={day:%Y-%m}"
    rows = 0
    for kind, columns in (("focus", FOCUS_COLUMNS_USED), ("cur", CUR_COLUMNS_USED)):
        files = sorted((sources / kind).glob(f"*/data/{period}/**/*.parquet"))
        scan = pl.scan_parquet(files).select([c for c in columns if c != "product_region_code"])
        rows += scan.select(pl.len()).collect().item()
        scan.collect()
    return rows


def measure_dagster(sources: Path, warehouse: Path, days: list[str]) -> int:
    os.environ["COST_ASSETS_SOURCES"] = str(sources)
    os.environ["COST_ASSETS_WAREHOUSE"] = str(warehouse)
    from cost_assets.cli import run

    if run(days) != 0:
        raise SystemExit("a day failed")
    import polars as pl

    return sum(
        pl.scan_parquet(warehouse / "focus_charges" / f"{d}.parquet")
        .select(pl.len())
        .collect()
        .item()
        + pl.scan_parquet(warehouse / "cur_task_hours" / f"{d}.parquet")
        .select(pl.len())
        .collect()
        .item()
        for d in days
    )


def measure_pure(sources: Path, day: date) -> int:
    from cost_assets.pipeline import compute_day

    return compute_day(str(sources), day)


def generate(scale: str, root: Path) -> Path:
    from cost_assets.sample.generator import generate_sample

    sources = root / f"sources-{scale}"
    if not (sources / "reference").exists():
        start = FIRST_DAY - timedelta(days=BACKFILL_DAYS - 1)
        generate_sample(sources, start=start, days=BACKFILL_DAYS, scale=SCALES[scale], seed=7)
    return sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--measure", choices=["floor", "dagster", "pure", "backfill"])
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--day")
    args = parser.parse_args()

    if args.measure:  # inside a child
        day = date.fromisoformat(args.day)
        if args.measure == "floor":
            rows = measure_floor(args.sources, day)
        elif args.measure == "pure":
            rows = measure_pure(args.sources, day)
        elif args.measure == "dagster":
            rows = measure_dagster(args.sources, args.warehouse, [args.day])
        else:
            first = day - timedelta(days=BACKFILL_DAYS - 1)
            days = [(first + timedelta(days=n)).isoformat() for n in range(BACKFILL_DAYS)]
            rows = measure_dagster(args.sources, args.warehouse, days)
        # The child's own peak resident set (Linux reports kilobytes).
        print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cost-assets-bench-"))
    t0 = time.perf_counter()
    sources = generate(args.scale, workdir)
    generated_s = round(time.perf_counter() - t0, 1)
    day = FIRST_DAY.isoformat()
    results = {}
    for measure in ("floor", "pure", "dagster", "backfill"):
        warehouse = workdir / f"warehouse-{args.scale}-{measure}"
        results[measure] = _child(measure, sources, warehouse, day)
    floor = results["floor"]["wall_s"]
    report = {
        "scale": args.scale,
        "scale_factor": SCALES[args.scale],
        "day": day,
        "generated_in_s": generated_s,
        "cpu_count": os.cpu_count(),
        **results,
        "dagster_over_floor": round(results["dagster"]["wall_s"] / floor, 2),
        "pure_over_floor": round(results["pure"]["wall_s"] / floor, 2),
    }
    out = args.out or workdir / f"benchmark-{args.scale}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(
        f"{args.scale}: floor {floor}s, pure {results['pure']['wall_s']}s "
        f"({report['pure_over_floor']}x, {results['pure']['peak_rss_mb']} MB), dagster "
        f"{results['dagster']['wall_s']}s ({report['dagster_over_floor']}x), 7-day backfill "
        f"{results['backfill']['wall_s']}s; report {out}"
    )


if __name__ == "__main__":
    main()
