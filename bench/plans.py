"""Plans: how much the linter and the printed binder cost, against baselines in the same run.

- lint: `lint.check_text` on every bundled plan, against PyYAML's bare `safe_load` of the same
  text (what any loader must pay anyway).
- PDF binder: `render_binder(plan, "pdf")` for every bundled plan, against WeasyPrint rendering
  the plan's scenario steps and duty cards as plain paragraphs, a page each (same fonts; no
  tables, forms or contents page numbers).
- DOCX binder: the same against python-docx writing those plain paragraphs.
Prints one line per figure: ours, baseline, ratio.
"""
import io
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifeline.settings")
django.setup()

import yaml  # noqa: E402
from django.utils.html import escape  # noqa: E402
from docx import Document  # noqa: E402
from weasyprint import HTML  # noqa: E402

from lifeline.core.documents import FONT_STACK  # noqa: E402
from lifeline.plans import lint, printing, services  # noqa: E402


def best_of(repeat, func):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def report(name, ours, baseline):
    print(f"{name:<32} ours {ours * 1000:9.1f} ms   baseline {baseline * 1000:9.1f} ms   ratio {ours / baseline:6.2f}x")


def plain_pages(plan) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) per scenario and per duty card."""
    return ([(s.name, [f"{step.title} {step.detail}" for step in s.steps]) for s in plan.scenarios]
            + [(c.department, [f"☐ {d}" for d in c.duties]) for c in plan.duty_cards])


def plain_pdf(plan) -> bytes:
    body = "".join(f"<section style='page-break-before:always'><h2>{escape(h)}</h2>"
                   + "".join(f"<p>{escape(p)}</p>" for p in paras) + "</section>" for h, paras in plain_pages(plan))
    return HTML(string=f"<html><body style='font-family:{FONT_STACK}'>{body}</body></html>").write_pdf()


def plain_docx(plan) -> None:
    doc = Document()
    for heading, paras in plain_pages(plan):
        doc.add_heading(heading, 2)
        for para in paras:
            doc.add_paragraph(para)
        doc.add_page_break()
    doc.save(io.BytesIO())


def main():
    texts = [path.read_text() for path in services.bundled_paths()]
    plans = [services.read_plan(path) for path in services.bundled_paths()]
    ours, _ = best_of(5, lambda: [lint.check_text(t) for t in texts])
    base, _ = best_of(5, lambda: [yaml.safe_load(t) for t in texts])
    report(f"lint {len(texts)} bundled plans", ours, base)
    ours, _ = best_of(2, lambda: [printing.render_binder(p, "pdf") for p in plans])
    base, _ = best_of(2, lambda: [plain_pdf(p) for p in plans])
    report(f"PDF binder, {len(plans)} plans", ours, base)
    ours, _ = best_of(3, lambda: [printing.render_binder(p, "docx") for p in plans])
    base, _ = best_of(3, lambda: [plain_docx(p) for p in plans])
    report(f"DOCX binder, {len(plans)} plans", ours, base)


if __name__ == "__main__":
    main()
