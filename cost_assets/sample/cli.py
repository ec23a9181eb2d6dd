"""``cost-assets-sample``: write the sample company's sources root."""

import argparse
from datetime import date
from pathlib import Path

from cost_assets.sample.generator import SAMPLE_START, generate_sample, generate_sample_by_day

# From this scale on, the sample is written one day at a time (the whole bill would not fit
# in memory: about 10 MB per scale unit and day).
BY_DAY_SCALE = 50


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    """Generate the sample sources root and print what was written."""
    parser = argparse.ArgumentParser(
        prog="cost-assets-sample",
        description="Write the deterministic sample company as a sources root.",
    )
    parser.add_argument("--out", type=Path, default=Path("sample_exports"), help="output folder")
    parser.add_argument(
        "--start", type=date.fromisoformat, default=SAMPLE_START, help="first UTC day"
    )
    parser.add_argument("--days", type=int, default=14, help="number of UTC days")
    parser.add_argument("--scale", type=int, default=1, help="multiplies instances and tasks")
    parser.add_argument("--seed", type=int, default=7, help="simulation seed")
    parser.add_argument(
        "--by-day",
        action="store_true",
        help=f"write one day at a time, one chunk file per day (always from scale {BY_DAY_SCALE})",
    )
    args = parser.parse_args(argv)
    if args.days < 1 or args.scale < 1:
        parser.error("--days and --scale must be at least 1")

    if args.by_day or args.scale >= BY_DAY_SCALE:
        summary = generate_sample_by_day(args.out, args.start, args.days, args.scale, args.seed)
        periods = summary.periods
        rows = (summary.focus_rows, summary.cur_rows, summary.speech_rows, summary.llm_rows)
    else:
        sample = generate_sample(args.out, args.start, args.days, args.scale, args.seed)
        periods = sample.periods
        rows = (sample.focus.height, sample.cur.height, sample.speech.height, sample.llm.height)
    print(
        f"wrote {args.out}: {args.days} days from {args.start}, scale {args.scale}, "
        f"billing periods {', '.join(periods)}"
    )
    print(f"rows: focus {rows[0]}, cur {rows[1]}, speech usage {rows[2]}, llm usage {rows[3]}")
    print(f"size: {_size(args.out) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
