"""Plotly figures of the report (no map here; see :mod:`netdesign.report.netmap`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from netdesign.report import fmt
from netdesign.report.load import StudyData

FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
GOOD = "#15803d"
BAD = "#b91c1c"
ACCENT = "#1e3a8a"

LINE_COLORS = {
    "purchase": "#94a3b8",
    "freight_inbound": "#1e3a8a",
    "freight_transfer": "#3b82f6",
    "freight_outbound": "#60a5fa",
    "freight_direct": "#93c5fd",
    "handling": "#0f766e",
    "facility_fixed": "#14b8a6",
    "facility_capex": "#6d28d9",
    "option_capex": "#8b5cf6",
    "option_opex": "#a78bfa",
    "closing": "#be185d",
    "carrying_cycle": "#c2410c",
    "carrying_safety": "#f97316",
    "carrying_pipeline": "#fdba74",
    "co2": "#4b5563",
    "unmet_penalty": "#dc2626",
}

TEMPLATE = go.layout.Template(layout=pio.templates["plotly_white"].layout)
"""plotly_white's layout only: its per-trace-type defaults would repeat in every figure."""

MODE_COLORS = ["#475569", "#7c3aed", "#0d9488", "#ea580c", "#0284c7", "#a16207", "#be123c"]
MODE_FIXED = {"truck": "#475569", "rail": "#7c3aed", "intermodal": "#0d9488", "air": "#ea580c",
              "ocean": "#0284c7", "parcel": "#a16207", "ltl": "#64748b", "ftl": "#334155"}


def mode_colors(modes: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    spare = [c for c in MODE_COLORS if c not in MODE_FIXED.values()] + MODE_COLORS
    for mode in modes:
        out[mode] = MODE_FIXED.get(str(mode).lower()) or spare[len(out) % len(spare)]
    return out


def style(fig: go.Figure, height: int = 380, legend_bottom: bool = True) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        font={"family": FONT, "size": 12, "color": INK},
        margin={"l": 10, "r": 10, "t": 36, "b": 10},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT}},
        title={"font": {"size": 14, "color": INK}, "x": 0, "xanchor": "left"},
    )
    if legend_bottom:
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12,
                                  "xanchor": "left", "x": 0, "font": {"size": 11},
                                  "traceorder": "normal"})
    fig.update_xaxes(gridcolor=GRID, zerolinecolor="#d1d5db", automargin=True)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor="#9ca3af", automargin=True)
    return fig


def run_label(data: StudyData, run_id: str, wrap: bool = False) -> str:
    """Baseline or the run id; ``wrap`` breaks a sweep point onto its own line (axis ticks)."""
    if run_id == data.baseline:
        return "Baseline"
    return run_id.replace("[", "<br>[") if wrap else run_id


def _tick(currency: str) -> dict:
    sym = fmt.symbol(currency)
    return {"tickprefix": sym if len(sym) <= 2 else "", "tickformat": "~s"}


# -- costs ---------------------------------------------------------------------------------------


def cost_stack(data: StudyData) -> go.Figure:
    """Stacked bars of the cost lines of every solved run, purchase (COGS) left out."""
    runs = data.solved
    table = pd.DataFrame({r: data.costs(r) for r in runs}).fillna(0.0)
    lines = [line for line in table.index if line != "purchase"
             and table.loc[line].abs().max() > 1e-6 * max(1.0, table.abs().to_numpy().max())]
    fig = go.Figure()
    labels = [run_label(data, r, wrap=True) for r in runs]
    for line in lines:
        values = table.loc[line].to_numpy(dtype=float)
        fig.add_bar(
            name=fmt.label(line), x=labels, y=values,
            marker_color=LINE_COLORS.get(line, MUTED),
            customdata=[fmt.money(v, data.currency) for v in values],
            hovertemplate="%{x}<br>" + fmt.label(line) + ": %{customdata}<extra></extra>",
        )
    totals = table.loc[lines].sum(axis=0).to_numpy(dtype=float)
    fig.add_scatter(
        x=labels, y=totals, mode="text", text=[fmt.compact_money(t, data.currency) for t in totals],
        textposition="top center", textfont={"size": 11, "color": INK}, showlegend=False,
        hoverinfo="skip",
    )
    fig.update_layout(barmode="stack", bargap=0.35, xaxis={"tickangle": 0},
                      yaxis={**_tick(data.currency), "title": f"{data.currency} / year"})
    return style(fig, height=440)


def waterfall(data: StudyData, run_id: str, max_steps: int = 10) -> go.Figure:
    """Baseline total landed cost → scenario total, one step per cost line that moved."""
    base, scen = data.costs(data.baseline), data.costs(run_id)
    lines = list(dict.fromkeys([*base.index, *scen.index]))
    delta = (scen.reindex(lines).fillna(0.0) - base.reindex(lines).fillna(0.0))
    base_total, scen_total = float(base.sum()), float(scen.sum())
    tol = 1e-6 * max(1.0, abs(base_total))
    delta = delta[delta.abs() > tol].sort_values(key=np.abs, ascending=False)
    if len(delta) > max_steps:
        rest = float(delta.iloc[max_steps - 1:].sum())
        delta = pd.concat([delta.iloc[:max_steps - 1], pd.Series({"other": rest})])
    x = ["Baseline", *[fmt.label(k) if k != "other" else "Other lines" for k in delta.index],
         run_label(data, run_id)]
    y = [base_total, *delta.to_numpy(dtype=float), scen_total]
    text = [fmt.compact_money(base_total, data.currency),
            *[fmt.compact_money(v, data.currency, sign=True) for v in delta],
            fmt.compact_money(scen_total, data.currency)]
    fig = go.Figure(go.Waterfall(
        x=x, y=y, measure=["absolute", *["relative"] * len(delta), "total"], text=text,
        textposition="outside", cliponaxis=False,
        increasing={"marker": {"color": BAD}}, decreasing={"marker": {"color": GOOD}},
        totals={"marker": {"color": ACCENT}},
        connector={"line": {"color": "#9ca3af", "width": 1, "dash": "dot"}},
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    lo = min(np.cumsum(y[:-1]).min(), scen_total, base_total)
    hi = max(np.cumsum(y[:-1]).max(), scen_total, base_total)
    span = max(hi - lo, 1e-9 * abs(hi) + 1.0)
    fig.update_layout(
        showlegend=False,
        yaxis={**_tick(data.currency), "range": [max(0.0, lo - 0.6 * span), hi + 0.35 * span],
               "title": f"{data.currency} / year"},
    )
    return style(fig, height=400, legend_bottom=False)


# -- sweeps --------------------------------------------------------------------------------------


def _setting(settings: dict, dotted: str):
    value = settings
    for part in dotted.removeprefix("settings.").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def sweep_points(data: StudyData, runs: list[str]) -> tuple[str, list[tuple[float, str]]] | None:
    """(swept setting, [(value, run_id), …] sorted, baseline included) for a one-key sweep."""
    keys = {k for r in runs for k in (data.run(r)["point"] or {})}
    if len(keys) != 1:
        return None
    key = keys.pop()
    points = []
    for r in runs:
        value = data.run(r)["point"][key]
        if isinstance(value, int | float):
            points.append((float(value), r))
    base_settings = data.run(data.baseline)["settings"] if data.baseline else None
    base_value = _setting(base_settings or {}, key)
    if isinstance(base_value, int | float) and data.baseline:
        points.append((float(base_value), data.baseline))
    if len(points) < 2:
        return None
    return key, sorted(points)


def mode_mix(data: StudyData, run_id: str) -> pd.Series:
    """Share of unit-km by mode (all legs)."""
    flows = data.of("flows", run_id)
    if flows.empty:
        return pd.Series(dtype=float)
    work = flows["units"].astype(float) * flows["distance_km"].astype(float).fillna(0.0)
    mix = work.groupby(flows["mode"].astype(str)).sum()
    return mix / mix.sum() if mix.sum() > 0 else mix


def sweep_chart(data: StudyData, name: str, key: str,
                points: list[tuple[float, str]]) -> go.Figure:
    """Total landed cost and mode mix against the swept setting."""
    setting = key.removeprefix("settings.")
    xs = [v for v, _ in points]
    costs = [data.objective(r) for _, r in points]
    mixes = pd.DataFrame({v: mode_mix(data, r) for v, r in points}).fillna(0.0)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "Total landed cost", "Mode mix (share of unit-km)"))
    labels = ["baseline" if r == data.baseline else "" for _, r in points]
    fig.add_scatter(
        x=xs, y=costs, mode="lines+markers+text", name="Total landed cost",
        line={"color": ACCENT, "width": 3}, marker={"size": 9},
        text=[fmt.compact_money(c, data.currency) for c in costs], textposition="top center",
        customdata=[[fmt.money(c, data.currency), lab] for c, lab in zip(costs, labels,
                                                                        strict=True)],
        hovertemplate=setting + " %{x}<br>%{customdata[0]} %{customdata[1]}<extra></extra>",
        showlegend=False, row=1, col=1,
    )
    colors = mode_colors(list(mixes.index))
    for mode in mixes.index:
        fig.add_scatter(
            x=xs, y=mixes.loc[mode].to_numpy(dtype=float), mode="lines", stackgroup="mix",
            name=str(mode), line={"color": colors[mode], "width": 1}, fillcolor=colors[mode],
            hovertemplate=f"{mode}: " + "%{y:.1%}<extra></extra>", row=1, col=2,
        )
    lo, hi = min(costs), max(costs)
    pad = max(hi - lo, abs(hi) * 0.01) * 0.4
    fig.update_yaxes(range=[lo - pad, hi + pad], row=1, col=1, **_tick(data.currency))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=2)
    fig.update_xaxes(title=setting)
    fig.update_layout(title=f"{name}: sensitivity to {setting}")
    style(fig, height=400)
    fig.update_layout(margin={"t": 64}, legend={"orientation": "v", "y": 1.0, "yanchor": "top",
                                                "x": 1.01, "xanchor": "left"})
    fig.update_annotations(font={"size": 12, "color": MUTED})
    return fig


# -- finance -------------------------------------------------------------------------------------


def cash_flow_chart(data: StudyData, run_id: str) -> go.Figure | None:
    """Net cash flow per year (bars) with cumulative and discounted cumulative (lines)."""
    rows = data.of("finance", run_id)
    series = {}
    for column in ("net", "cumulative", "discounted_cumulative", "capex", "closing",
                   "closing_tax_shield", "after_tax_savings", "tax_shield", "residual_value",
                   "working_capital"):
        part = rows[rows["section"] == f"cash_flow_{column}"]
        if not part.empty:
            years = [int(str(line).removeprefix("year_")) for line in part["line"]]
            series[column] = pd.Series(part["value"].to_numpy(dtype=float), index=years)
    if "net" not in series:
        return None
    years = series["net"].index.tolist()
    fig = go.Figure()
    parts = [("capex", "CapEx", "#6d28d9"), ("closing", "Closing costs", "#be185d"),
             ("closing_tax_shield", "Tax saved on closing", "#f9a8d4"),
             ("working_capital", "Working-capital release", "#f97316"),
             ("after_tax_savings", "After-tax savings", "#0f766e"),
             ("tax_shield", "Depreciation tax shield", "#5eead4"),
             ("residual_value", "Residual value", "#a16207")]
    for column, name, color in parts:
        if column in series and series[column].abs().max() > 0:
            values = series[column].to_numpy(dtype=float)
            fig.add_bar(x=years, y=values, name=name, marker_color=color,
                        customdata=[fmt.money(v, data.currency) for v in values],
                        hovertemplate="Year %{x}: %{customdata}<extra>" + name + "</extra>")
    for column, name, color, dash in (("cumulative", "Cumulative", INK, "solid"),
                                      ("discounted_cumulative", "Discounted cumulative", ACCENT,
                                       "dot")):
        if column in series:
            values = series[column].to_numpy(dtype=float)
            fig.add_scatter(x=years, y=values, name=name, mode="lines+markers",
                            line={"color": color, "width": 2.5, "dash": dash},
                            marker={"size": 5},
                            customdata=[fmt.money(v, data.currency) for v in values],
                            hovertemplate="Year %{x}: %{customdata}<extra>" + name + "</extra>")
    fig.update_layout(barmode="relative", xaxis={"tickprefix": "Year ", "dtick": 1},
                      yaxis={**_tick(data.currency), "title": data.currency})
    return style(fig, height=380)


# -- inventory and service -----------------------------------------------------------------------


def inventory_chart(data: StudyData, run_id: str) -> go.Figure | None:
    """Inventory value by DC, stacked cycle / safety / pipeline."""
    inv = data.of("inventory", run_id)
    if inv.empty:
        return None
    value = inv["unit_value"].astype(float).fillna(0.0) if "unit_value" in inv else 1.0
    parts = pd.DataFrame({p: inv[p].astype(float).fillna(0.0) * value
                          for p in ("cycle", "safety", "pipeline")})
    dcs = set(data.of("facilities", run_id).get("facility", pd.Series(dtype=str)).astype(str))
    names = inv["facility"].astype(str)
    parts["facility"] = names.where(names.isin(dcs) | (len(dcs) == 0),
                                    "In transit from suppliers")
    by_dc = parts.groupby("facility").sum()
    by_dc = by_dc[by_dc.sum(axis=1) > 0]
    if by_dc.empty:
        return None
    order = by_dc.drop(index="In transit from suppliers", errors="ignore").sum(axis=1)
    rows = order.sort_values(ascending=False).index.tolist()
    if "In transit from suppliers" in by_dc.index:
        rows.append("In transit from suppliers")
    by_dc = by_dc.loc[rows]
    names = [short(f) for f in by_dc.index]
    fig = go.Figure()
    for part, name, color in (("cycle", "Cycle stock", "#c2410c"),
                              ("safety", "Safety stock", "#f97316"),
                              ("pipeline", "Pipeline", "#fdba74")):
        values = by_dc[part].to_numpy(dtype=float)
        fig.add_bar(x=names, y=values, name=name, marker_color=color,
                    customdata=[fmt.money(v, data.currency) for v in values],
                    hovertemplate="%{x}<br>" + name + ": %{customdata}<extra></extra>")
    fig.update_layout(barmode="stack", bargap=0.3 if len(names) > 3 else 0.6,
                      yaxis={**_tick(data.currency), "title": f"inventory value ({data.currency})"})
    return style(fig, height=380)


DAY_BUCKETS = ((1.0, "≤ 1 day"), (2.0, "1–2 days"), (3.0, "2–3 days"), (4.0, "3–4 days"),
               (5.0, "4–5 days"), (math.inf, "> 5 days"))
BUCKET_COLORS = ["#166534", "#22c55e", "#a3e635", "#facc15", "#f97316", "#dc2626"]


def service_shares(data: StudyData, run_id: str) -> pd.Series:
    service = data.of("service", run_id)
    if service.empty:
        return pd.Series(0.0, index=[b for _, b in DAY_BUCKETS])
    units = service["units"].astype(float)
    days = service["delivery_days"].astype(float)
    shares = {}
    lower = -math.inf
    for upper, name in DAY_BUCKETS:
        mask = (days > lower + 1e-9) & (days <= upper + 1e-9)
        shares[name] = float(units[mask].sum())
        lower = upper
    total = sum(shares.values())
    return pd.Series({k: (v / total if total > 0 else 0.0) for k, v in shares.items()})


def service_chart(data: StudyData) -> go.Figure:
    """Share of delivered demand by delivery days, one 100 % bar per run."""
    runs = data.solved
    shares = pd.DataFrame({r: service_shares(data, r) for r in runs})
    labels = [run_label(data, r) for r in runs]
    fig = go.Figure()
    for (_, bucket), color in zip(DAY_BUCKETS, BUCKET_COLORS, strict=True):
        values = shares.loc[bucket].to_numpy(dtype=float)
        if values.max() <= 0:
            continue
        fig.add_bar(y=labels, x=values, name=bucket, orientation="h", marker_color=color,
                    text=[f"{v:.0%}" if v >= 0.06 else "" for v in values],
                    textposition="inside", insidetextanchor="middle",
                    hovertemplate="%{y}<br>" + bucket + ": %{x:.1%}<extra></extra>")
    fig.update_layout(barmode="stack", xaxis={"tickformat": ".0%", "range": [0, 1]},
                      yaxis={"autorange": "reversed"}, bargap=0.3)
    return style(fig, height=max(220, 60 + 34 * len(runs)))


def short(name: str) -> str:
    """DC_Atlanta_GA → Atlanta GA."""
    text = str(name)
    for prefix in ("DC_", "DC-", "DC "):
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
            break
    return text.replace("_", " ")


def forecast_chart(months: pd.DataFrame, products: list[str]) -> go.Figure:
    """Monthly units of ``products``: history (solid) and the forecast (dashed) per product."""
    fig = go.Figure()
    palette = ["#1e3a8a", "#0f766e", "#c2410c", "#6d28d9", "#be185d", "#475569"]
    for i, product in enumerate(products):
        rows = months[months["product"] == product].sort_values("ds")
        color = palette[i % len(palette)]
        past, ahead = rows.dropna(subset=["actual"]), rows.dropna(subset=["forecast"])
        fig.add_trace(go.Scatter(x=past["ds"], y=past["actual"], name=product, mode="lines",
                                 line={"color": color, "width": 2}, legendgroup=product))
        fig.add_trace(go.Scatter(x=ahead["ds"], y=ahead["forecast"], name=f"{product} forecast",
                                 mode="lines", line={"color": color, "width": 2, "dash": "dash"},
                                 legendgroup=product, showlegend=False))
    fig.update_layout(yaxis_title="units / month")
    return style(fig, height=420)
