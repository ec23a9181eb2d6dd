"""The deterministic sample company and the building blocks that write sources roots.

Tests use the writers to lay out tiny sources roots; ``generate_sample`` writes the whole
sample company (``cost-assets-sample`` on the command line). Nothing in the pipeline imports
this package.
"""

from cost_assets.sample.exports import (
    CUR_EXPORT,
    FOCUS_EXPORT,
    cur_frame,
    focus_frame,
    to_arrow,
    write_cur_export,
    write_focus_export,
    write_usage,
)
from cost_assets.sample.generator import Sample, build_sample, generate_sample, write_sample
from cost_assets.sample.reference import write_reference

__all__ = [
    "CUR_EXPORT",
    "FOCUS_EXPORT",
    "Sample",
    "build_sample",
    "cur_frame",
    "focus_frame",
    "generate_sample",
    "to_arrow",
    "write_cur_export",
    "write_focus_export",
    "write_reference",
    "write_sample",
    "write_usage",
]
