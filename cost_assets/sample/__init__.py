"""The deterministic sample company and the building blocks that write sources roots.

Tests use the writers to lay out tiny sources roots; ``generate_sample`` writes the whole
sample company (``cost-assets-sample`` on the command line), ``generate_sample_by_day`` the
same rows one day at a time, for scales that do not fit in memory. Nothing in the pipeline imports
this package.
"""

from cost_assets.sample.exports import (
    CUR_EXPORT,
    FOCUS_EXPORT,
    Delivery,
    cur_delivery,
    cur_frame,
    focus_delivery,
    focus_frame,
    to_arrow,
    write_cur_export,
    write_focus_export,
    write_usage,
)
from cost_assets.sample.generator import (
    Sample,
    SampleSummary,
    build_sample,
    generate_sample,
    generate_sample_by_day,
    write_sample,
)
from cost_assets.sample.reference import write_reference

__all__ = [
    "CUR_EXPORT",
    "FOCUS_EXPORT",
    "Delivery",
    "Sample",
    "SampleSummary",
    "build_sample",
    "cur_delivery",
    "cur_frame",
    "focus_delivery",
    "focus_frame",
    "generate_sample",
    "generate_sample_by_day",
    "to_arrow",
    "write_cur_export",
    "write_focus_export",
    "write_reference",
    "write_sample",
    "write_usage",
]
