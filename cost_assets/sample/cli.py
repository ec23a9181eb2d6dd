"""``cost-assets-sample``: write the sample company's sources root."""

import argparse
from datetime import date
from pathlib import Path

from cost_assets.sample.generator import SAMPLE_START, generate_sample


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
    args = parser.parse_args(argv)
    if args.days < 1 or args.scale < 1:
        parser.error("--days and --scale must be at least 1")

    sample = generate_sample(args.out, args.start, args.days, args.scale, args.seed)
    print(
        f"wrote {args.out}: {args.days} days from {args.start}, scale {args.scale}, "
        f"billing periods {', '.join(sample.periods)}"
    )
    print(
        f"rows: focus {sample.focus.height}, cur {sample.cur.height}, "
        f"speech usage {sample.speech.height}, llm usage {sample.llm.height}"
    )
    print(f"size: {_size(args.out) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
