"""Data comparison (数据比对): the old system's tables against the new system's, possibly on
different database products (MariaDB against PostgreSQL), without Django.

    spec = load_spec("compare.yaml")                # SpecError naming file:line: field: reason
    report = compare(source_url, target_url, spec)  # CompareError: a URL, a table, a column
    report.exceeds_tolerance                        # True: a go/no-go gate says no

How (ranges.py): each side is streamed once and summarised per key range (row count and an
order-independent hash of the normalised rows); only the ranges whose summaries differ are
read again, halved until they are small, and then compared row by row. Memory holds the range
summaries and at most two small ranges of rows, never a table.
"""
from lifeline.cutover.compare.ranges import CompareError, compare
from lifeline.cutover.compare.report import Report, TableReport
from lifeline.cutover.compare.spec import Spec, SpecError, load_spec

__all__ = ["CompareError", "Report", "Spec", "SpecError", "TableReport", "compare", "load_spec"]
