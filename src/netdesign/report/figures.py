"""The report's charts as plotly figures, for notebooks and scripts.

    figs = StudyFigures("out")
    figs.map("baseline").show()
    figs.costs().show()
    figs.waterfall("fuel_up_20").show()
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from netdesign.report import charts
from netdesign.report.load import load_study
from netdesign.report.netmap import dc_colors, network_map


class StudyFigures:
    """Figures of one study folder (``DIR/results.duckdb``); the model locates the map."""

    def __init__(self, study_dir: str | Path, model: str | Path | None = None):
        self.data = load_study(Path(study_dir), model)

    @property
    def runs(self) -> list[str]:
        """Run ids with a solution, baseline first."""
        return self.data.solved

    def map(self, run_id: str = "baseline") -> go.Figure:
        """Suppliers, DCs by change, customers coloured by serving DC, lanes by mode and volume."""
        if self.data.locations is None:
            raise ValueError(f"no map: {self.data.location_note}")
        figure, _ = network_map(self.data, run_id, dc_colors(self.data))
        return go.Figure(figure)

    def costs(self) -> go.Figure:
        """Cost lines stacked per run."""
        return charts.cost_stack(self.data)

    def waterfall(self, run_id: str) -> go.Figure:
        """From the baseline's total landed cost to ``run_id``'s, line by line."""
        return charts.waterfall(self.data, run_id)

    def sweeps(self) -> list[go.Figure]:
        """Total cost and mode mix against the swept setting, one figure per swept scenario."""
        out = []
        for name, group in self.data.sweep_groups().items():
            found = charts.sweep_points(self.data, group)
            if found is not None:
                out.append(charts.sweep_chart(self.data, name, *found))
        return out

    def cash_flow(self, run_id: str) -> go.Figure | None:
        """The CapEx case of moving from the baseline to ``run_id`` (None without one)."""
        return charts.cash_flow_chart(self.data, run_id)

    def inventory(self, run_id: str = "baseline") -> go.Figure | None:
        """Cycle, safety and pipeline stock by DC."""
        return charts.inventory_chart(self.data, run_id)

    def service(self) -> go.Figure:
        """Share of demand by delivery days, per run."""
        return charts.service_chart(self.data)
