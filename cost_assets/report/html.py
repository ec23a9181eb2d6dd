"""The static HTML report: charts (PNG files beside the page) and tables, readable offline.

The page needs no network and no server: open ``<warehouse>/report/index.html`` in a browser.
When every chart has loaded, a small script sets ``data-charts-loaded="<loaded>/<total>"`` on
the body (and writes it on the page), which is how a headless browser checks the page.
"""

import html
import math
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #1a202c; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #e2e8f0; }
p.lead, p.note { color: #4a5568; }
img { max-width: 100%; border: 1px solid #e2e8f0; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.6rem 0; }
th, td { padding: 0.2rem 0.5rem; border-bottom: 1px solid #edf2f7; text-align: right; }
th { background: #f7fafc; position: sticky; top: 0; }
td.text, th.text { text-align: left; white-space: nowrap; }
#chart-status { font-size: 0.8rem; color: #718096; }
div.scroll { overflow-x: auto; max-height: 32rem; overflow-y: auto; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  var status = loaded.length + "/" + images.length;
  document.body.setAttribute("data-charts-loaded", status);
  document.getElementById("chart-status").textContent = "charts loaded: " + status;
});
"""


@dataclass(frozen=True)
class Chart:
    """One chart of the page: the PNG file beside it, a heading and a sentence of reading."""

    file: str
    heading: str
    caption: str


@dataclass(frozen=True)
class Table:
    """One table of the page, shown as stored (formatted for reading), with a heading."""

    heading: str
    frame: pl.DataFrame
    note: str = ""


def _cell(value: object, column: str) -> tuple[str, bool]:
    """The text of a cell and whether it is text (left-aligned) rather than a number."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else ""), True
    if isinstance(value, float):
        if math.isnan(value):
            return "", False
        if column.endswith(("_growth", "_share")) or column == "fleet_share":
            return f"{value:+.1%}" if column.endswith("_growth") else f"{value:.1%}", False
        if "usd" in column and "per_unit" not in column:
            return f"{value:,.2f}", False
        if abs(value) >= 1000:
            return f"{value:,.0f}", False
        return f"{value:.4g}", False
    if isinstance(value, int):
        return f"{value:,}", False
    if isinstance(value, date | datetime):
        return value.isoformat(), True
    return str(value), True


def _table(table: Table) -> str:
    columns = table.frame.columns
    text_columns = {c for c, t in table.frame.schema.items() if not t.is_numeric()}
    text_class = ' class="text"'
    head = "".join(
        f"<th{text_class if c in text_columns else ''}>{html.escape(c)}</th>" for c in columns
    )
    rows = []
    for row in table.frame.iter_rows():
        cells = []
        for column, value in zip(columns, row, strict=True):
            text, is_text = _cell(value, column)
            css = ' class="text"' if is_text else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "\n".join(rows) if rows else f'<tr><td colspan="{len(columns)}">no rows</td></tr>'
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f"<h2>{html.escape(table.heading)}</h2>{note}\n"
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>\n{body}\n'
        "</tbody></table></div>"
    )


def render_report(title: str, lead: list[str], charts: list[Chart], tables: list[Table]) -> str:
    """The page: a title, a few lines of context, the charts, then the tables."""
    lead_html = "".join(f'<p class="lead">{html.escape(line)}</p>' for line in lead)
    chart_html = "\n".join(
        f"<h2>{html.escape(c.heading)}</h2>"
        f'<p class="note">{html.escape(c.caption)}</p>'
        f'<img src="{html.escape(c.file)}" alt="{html.escape(c.heading)}">'
        for c in charts
    )
    table_html = "\n".join(_table(t) for t in tables)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>{lead_html}"
        '<p id="chart-status">charts loading…</p>\n'
        f"{chart_html}\n{table_html}\n<script>{SCRIPT}</script></body></html>\n"
    )
