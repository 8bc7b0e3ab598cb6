"""The study report: ``DIR/report.html`` (self-contained, for the meeting) and ``DIR/study.xlsx``
(for finance users).

``write_report(study_dir)`` reads ``DIR/results.duckdb`` and writes both files. The HTML inlines
plotly.js, its styles and the US state outlines (``data/us_states.json``, US Census cartographic
boundaries, public domain), so it opens with no network access. The map needs the coordinates of the
study's model: pass ``model=`` or see :mod:`netdesign.report.load` for how it is found.
"""

from __future__ import annotations

from pathlib import Path

from netdesign.report.figures import StudyFigures
from netdesign.report.load import StudyData, load_study

__all__ = ["StudyData", "StudyFigures", "load_study", "write_report"]


def write_report(study_dir: str | Path, model: str | Path | None = None) -> list[Path]:
    """Write ``report.html`` and ``study.xlsx`` into ``study_dir``, each whole or not at all
    (:func:`netdesign.files.write_atomic`); return their paths."""
    from netdesign.files import write_atomic
    from netdesign.report.html import render
    from netdesign.report.workbook import write_workbook

    folder = Path(study_dir)
    data = load_study(folder, model)
    report = folder / "report.html"
    write_atomic(report, render(data))
    book = write_workbook(data, folder / "study.xlsx")
    return [report, book]
