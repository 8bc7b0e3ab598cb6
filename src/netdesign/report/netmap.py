"""The network map of one run: state outlines, lanes, customers, suppliers and DCs.

A plain Plotly ``scatter`` on Albers-projected kilometres (:mod:`netdesign.report.geo`): nothing is
fetched at view time. Trace names are part of the report's contract (tests count markers by them):

* ``DC open (kept)`` / ``DC open (new)``: the run's open DCs (one marker each);
* ``DC closed`` (open in the baseline or existing, closed here) and ``DC candidate (unused)``;
* ``Suppliers``, ``Customers``, and ``<mode> lanes`` (widths bucketed by volume).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netdesign.report import fmt, geo
from netdesign.report.charts import FONT, INK, MUTED, TEMPLATE, mode_colors, short
from netdesign.report.load import StudyData

DC_PALETTE = [
    "#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d",
    "#9333ea", "#ea580c", "#0d9488", "#4f46e5", "#be123c", "#ca8a04", "#16a34a", "#c026d3",
    "#0284c7", "#b45309", "#475569", "#e11d48",
]
WIDTHS = (1.2, 2.2, 3.5, 5.0, 7.0)
LAST_MILE_WIDTHS = (0.5, 0.8, 1.1, 1.5, 2.0)
MAP_HEIGHT = 470


def dc_colors(data: StudyData) -> dict[str, str]:
    """One colour per DC that is open in any run, stable across the maps."""
    fac = data.tables["facilities"]
    names = [] if fac.empty else sorted(set(fac.loc[fac["open"].astype(bool), "facility"]))
    return {name: DC_PALETTE[i % len(DC_PALETTE)] for i, name in enumerate(names)}


def dc_state(change: str, status: str, is_open: bool) -> str:
    """kept | new | closed | unused: how a DC is drawn."""
    if is_open:
        return "new" if change == "opened" else "kept"
    if change in ("closed",) or (change == "forced_closed" and status == "existing"):
        return "closed"
    return "unused"


class Fig:
    """A figure as plain dicts (rendered with ``validate=False``: a map has many traces, and
    plotly's per-property validation would dominate the report's run time)."""

    def __init__(self) -> None:
        self.data: list[dict] = []
        self.layout: dict = {}

    def add_scatter(self, **trace) -> None:
        self.data.append({"type": "scatter", **trace})

    def update_layout(self, **layout) -> None:
        self.layout.update(layout)

    def to_dict(self) -> dict:
        return {"data": self.data, "layout": self.layout}


def map_view(data: StudyData) -> geo.MapView:
    """US states or the world, by where the study's places are."""
    coords = data.locations.coords() if data.locations is not None else {}
    return geo.view_for([c[0] for c in coords.values()], [c[1] for c in coords.values()])


def network_map(data: StudyData, run_id: str, colors: dict[str, str]) -> tuple[dict, int]:
    """The map of one run (a plotly figure dict) and the number of open-DC markers drawn."""
    loc = data.locations
    assert loc is not None
    coords = loc.coords()
    fig = Fig()

    all_lat = np.array([c[0] for c in coords.values()], dtype=float)
    all_lon = np.array([c[1] for c in coords.values()], dtype=float)
    view = map_view(data)
    sx, sy = view.outline_xy(all_lat, all_lon)
    fig.add_scatter(x=sx, y=sy, mode="lines", fill="toself", fillcolor="#f3f4f6",
                    line={"color": "#cbd5e1", "width": 0.8}, hoverinfo="skip",
                    showlegend=False, name="countries" if view.world else "states")

    def xy(names) -> tuple[list[float], list[float]]:
        lat = [coords[n][0] for n in names]
        lon = [coords[n][1] for n in names]
        x, y = view.project(lat, lon)
        return np.round(x, 1).tolist(), np.round(y, 1).tolist()

    _lanes(fig, data, run_id, coords, xy)
    _customers(fig, data, run_id, coords, colors, xy)

    suppliers = [s for s in loc.suppliers["supplier"] if s in coords]
    flows = data.of("flows", run_id)
    used = set(flows["origin"].astype(str)) if not flows.empty else set()
    if suppliers:
        x, y = xy(suppliers)
        fig.add_scatter(
            x=x, y=y, mode="markers", name="Suppliers",
            marker={"symbol": "triangle-up", "size": 12,
                    "color": ["#92400e" if s in used else "#d6d3d1" for s in suppliers],
                    "line": {"color": "white", "width": 1}},
            text=[f"<b>{s}</b><br>supplier{'' if s in used else ' (not used)'}"
                  for s in suppliers],
            hovertemplate="%{text}<extra></extra>",
        )

    open_count = _dcs(fig, data, run_id, coords, colors, xy)
    if view.world:  # frame the network, not the whole of every country it touches
        px, py = view.project(all_lat, all_lon)
        xs, ys = px.tolist(), py.tolist()
        pad = max(0.08 * max(max(xs) - min(xs), max(ys) - min(ys)), 150.0)
    else:
        xs = [v for v in sx if v is not None]
        ys = [v for v in sy if v is not None]
        pad = 0.03 * (max(xs) - min(xs))
    fig.update_layout(
        template=TEMPLATE.to_plotly_json(), height=MAP_HEIGHT, showlegend=True,
        font={"family": FONT, "size": 12, "color": INK},
        margin={"l": 0, "r": 0, "t": 8, "b": 0}, paper_bgcolor="white", plot_bgcolor="white",
        xaxis={"visible": False, "range": [min(xs) - pad, max(xs) + pad]},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1,
               "range": [min(ys) - pad, max(ys) + pad]},
        legend={"orientation": "h", "yanchor": "top", "y": 0.0, "xanchor": "center", "x": 0.5,
                "font": {"size": 10.5}, "bgcolor": "rgba(255,255,255,0.85)",
                "itemsizing": "constant", "itemwidth": 30, "tracegroupgap": 0},
        hoverlabel={"font": {"family": FONT}},
        dragmode="pan",
    )
    return fig.to_dict(), open_count


def _lanes(fig: Fig, data: StudyData, run_id: str, coords, xy) -> None:
    flows = data.of("flows", run_id)
    if flows.empty:
        return
    flows = flows[flows["origin"].isin(coords) & flows["destination"].isin(coords)]
    lanes = (flows.assign(units=flows["units"].astype(float))
             .groupby(["leg", "origin", "destination", "mode"], as_index=False)["units"].sum())
    lanes = lanes[lanes["units"] > 0]
    if lanes.empty:
        return
    all_modes = sorted(data.tables["flows"]["mode"].dropna().astype(str).unique())
    colors = mode_colors(all_modes)
    to_customer = lanes["leg"].isin(["outbound", "direct"])
    # widths scale within each kind: trunk lanes (inbound, transfer) and last-mile lanes
    top = lanes.groupby(to_customer)["units"].transform("max")
    bucket = np.minimum((np.sqrt(lanes["units"] / top) * len(WIDTHS)).astype(int),
                        len(WIDTHS) - 1)
    lanes = lanes.assign(bucket=bucket.to_numpy(), to_customer=to_customer.to_numpy())
    for mode in [m for m in all_modes if m in set(lanes["mode"])]:
        first = True
        for (to_customer, b), group in lanes[lanes["mode"] == mode].groupby(
                ["to_customer", "bucket"]):
            ox, oy = xy(group["origin"])
            dx, dy = xy(group["destination"])
            x: list = []
            y: list = []
            for a, b_, c, d in zip(ox, oy, dx, dy, strict=True):
                x += [a, c, None]
                y += [b_, d, None]
            fig.add_scatter(
                x=x, y=y, mode="lines", name=f"{str(mode).capitalize()} lanes",
                legendgroup=f"lanes-{mode}", showlegend=first, hoverinfo="skip",
                line={"color": colors[mode],
                      "width": LAST_MILE_WIDTHS[int(b)] if to_customer else WIDTHS[int(b)]},
                opacity=0.3 if to_customer else 0.8,
            )
            first = False
        # hover targets at lane midpoints (inbound and transfer lanes only: outbound are many)
        trunk = lanes[(lanes["mode"] == mode) & ~lanes["to_customer"]]
        if not trunk.empty:
            ox, oy = xy(trunk["origin"])
            dx, dy = xy(trunk["destination"])
            fig.add_scatter(
                x=[(a + c) / 2 for a, c in zip(ox, dx, strict=True)],
                y=[(b + d) / 2 for b, d in zip(oy, dy, strict=True)],
                mode="markers", marker={"size": 8, "color": colors[mode], "opacity": 0},
                showlegend=False, legendgroup=f"lanes-{mode}", name=f"{mode} lane info",
                text=[f"{short(o)} → {short(d)}<br>{mode}, {fmt.number(u)} units/yr"
                      for o, d, u in zip(trunk["origin"], trunk["destination"], trunk["units"],
                                         strict=True)],
                hovertemplate="%{text}<extra></extra>",
            )


def _customers(fig: Fig, data: StudyData, run_id: str, coords, colors, xy) -> None:
    service = data.of("service", run_id)
    assignments = data.of("assignments", run_id)
    customers = [c for c in data.locations.customers["customer"] if c in coords]
    if not customers:
        return
    demand = (service.assign(units=service["units"].astype(float))
              .groupby("customer")["units"].sum() if not service.empty else pd.Series(dtype=float))
    serving: dict[str, str] = {}
    if not assignments.empty:
        by = (assignments.assign(units=assignments["units"].astype(float))
              .groupby(["customer", "facility"])["units"].sum().reset_index()
              .sort_values("units", ascending=False).drop_duplicates("customer"))
        serving = dict(zip(by["customer"].astype(str), by["facility"].astype(str), strict=True))
    units = np.array([float(demand.get(c, 0.0)) for c in customers])
    top = units.max() if len(units) and units.max() > 0 else 1.0
    sizes = 4 + 16 * np.sqrt(units / top)
    x, y = xy(customers)
    fig.add_scatter(
        x=x, y=y, mode="markers", name="Customers",
        marker={"size": np.round(sizes, 1).tolist(), "sizemode": "diameter",
                "color": [colors.get(serving.get(c, ""), "#9ca3af") for c in customers],
                "opacity": 0.7, "line": {"color": "white", "width": 0.6}},
        text=[f"<b>{c}</b><br>{fmt.number(u)} units/yr<br>served by "
              f"{short(serving[c]) if c in serving else '–'}" for c, u in zip(customers, units,
                                                                          strict=True)],
        hovertemplate="%{text}<extra></extra>",
    )


def _dcs(fig: Fig, data: StudyData, run_id: str, coords, colors, xy) -> int:
    fac = data.of("facilities", run_id)
    if fac.empty:
        return 0
    groups: dict[str, list] = {"kept": [], "new": [], "closed": [], "unused": []}
    for row in fac.itertuples(index=False):
        name = str(row.facility)
        if name not in coords:
            continue
        state = dc_state(str(row.change), str(row.status), bool(row.open))
        groups[state].append(row)
    styles = {
        "kept": ("DC open (kept)", "square", 15, "#111827", 2.0),
        "new": ("DC open (new)", "star", 22, "#15803d", 2.0),
        "closed": ("DC closed", "x-thin-open", 13, "#b91c1c", 3.0),
        "unused": ("DC candidate (unused)", "square-open", 9, "#9ca3af", 1.2),
    }
    drawn = 0
    for state in ("unused", "closed", "kept", "new"):
        rows = groups[state]
        if not rows:
            continue
        name, symbol, size, edge, width = styles[state]
        names = [str(r.facility) for r in rows]
        x, y = xy(names)
        is_open = state in ("kept", "new")
        text = []
        for r in rows:
            line = f"<b>{short(r.facility)}</b><br>{name}"
            if is_open:
                line += (f"<br>throughput {fmt.number(r.throughput)} units/yr"
                         f"<br>utilisation {fmt.pct(r.utilisation)}"
                         f"<br>role {r.role}")
                if isinstance(r.options, str) and r.options:
                    line += f"<br>upgrades: {r.options.replace(';', ', ')}"
            text.append(line)
        marker = {"symbol": symbol, "size": size, "line": {"color": edge, "width": width}}
        if is_open:
            marker["color"] = [colors.get(n, "#2563eb") for n in names]
        else:
            marker["color"] = edge
        fig.add_scatter(
            x=x, y=y, mode="markers+text" if is_open else "markers", name=name,
            marker=marker, text=text, hovertemplate="%{text}<extra></extra>",
            texttemplate=[short(n) for n in names] if is_open else None,
            textposition="top center", textfont={"size": 10, "color": MUTED},
            meta={"facilities": names},
        )
        if is_open:
            drawn += len(names)
    return drawn
