"""Assemble ``report.html``: one self-contained file (plotly.js, styles and geometry inlined).

Sections (each a ``<section id=…>`` with an ``<h2>``): summary, maps, costs, kpis, forecast (when
demand came from a history), finance, inventory, service, trust. Per-run views (maps, waterfalls,
the finance case, inventory) use a ``<select data-switch=GROUP>`` that shows one
``[data-group=GROUP][data-key=RUN]`` panel at a time; every panel is in the page, so the file
prints and can be searched without running anything.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from netdesign import kpis
from netdesign.finance import PNL_HIGHER_IS_BETTER, PNL_ORDER, PNL_TOTALS
from netdesign.report import charts, fmt, geo
from netdesign.report.load import StudyData, study_date
from netdesign.report.netmap import dc_colors, map_view, network_map

DATA = Path(__file__).with_name("data")
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
          "toImageButtonOptions": {"format": "png", "scale": 2}}
SECTIONS = (("summary", "Summary"), ("maps", "Network maps"), ("costs", "Costs"),
            ("kpis", "KPIs"), ("forecast", "Forecast"), ("finance", "Finance"),
            ("inventory", "Inventory"), ("service", "Service"), ("trust", "Trust"))

SWITCH_JS = """
(function () {
  function show(sel) {
    var group = sel.getAttribute('data-switch');
    document.querySelectorAll('[data-group="' + group + '"]').forEach(function (panel) {
      var on = panel.getAttribute('data-key') === sel.value;
      panel.hidden = !on;
      if (on && window.Plotly) {
        panel.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
          window.Plotly.Plots.resize(gd);
        });
      }
    });
  }
  document.querySelectorAll('select[data-switch]').forEach(function (sel) {
    sel.addEventListener('change', function () { show(sel); });
    show(sel);
  });
})();
"""


def e(value: object) -> str:
    """The one way a value reaches the page: as text, with ``& < > " '`` escaped (so it is
    safe in element content and in quoted attributes)."""
    return html.escape(str(value), quote=True)


def _escaped(format_text: Callable[..., str]) -> Callable[..., str]:
    """A :mod:`fmt` function whose text goes through :func:`e`: money carries the currency,
    free text from model.yaml."""

    @functools.wraps(format_text)
    def shown(*args: Any, **kwargs: Any) -> str:
        return e(format_text(*args, **kwargs))

    return shown


money, compact_money, kpi = map(_escaped, (fmt.money, fmt.compact_money, fmt.kpi))


class Page:
    def __init__(self, data: StudyData):
        self.data = data
        self.cur = data.currency
        self.count = 0

    # -- building blocks -------------------------------------------------------------------------

    def fig(self, figure: go.Figure | dict | None, name: str) -> str:
        if figure is None:
            return '<p class="note">Nothing to show for this run.</p>'
        self.count += 1
        div_id = f"fig-{name}-{self.count}"
        height = (figure.get("layout", {}).get("height") if isinstance(figure, dict)
                  else figure.layout.height) or 400
        body = pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=div_id,
                           config=CONFIG, default_width="100%", default_height=f"{height}px",
                           validate=not isinstance(figure, dict))
        return f'<div class="chart">{body}</div>'

    def switch(self, group: str, label: str, runs: list[str], hint: str = "") -> str:
        chosen = self.default(runs)
        options = "".join(
            f'<option value="{e(r)}"{" selected" if r == chosen else ""}>{e(self.label(r))}'
            "</option>" for r in runs)
        hint_html = f'<span class="hint">{e(hint)}</span>' if hint else ""
        return (f'<div class="switch"><label for="sw-{group}">{e(label)}</label>'
                f'<select id="sw-{group}" data-switch="{group}">{options}</select>{hint_html}'
                "</div>")

    def panels(self, group: str, runs: list[str], render) -> str:
        """One panel per run; only the switch's default one is visible before any script runs."""
        chosen = self.default(runs)
        return "".join(
            f'<div data-group="{group}" data-key="{e(r)}"{"" if r == chosen else " hidden"}>'
            f"{render(r)}</div>" for r in runs)

    def default(self, runs: list[str]) -> str | None:
        """The run a switch shows first: the featured scenario when it is in the list."""
        featured = self.featured()
        return featured if featured in runs else (runs[0] if runs else None)

    def featured(self) -> str | None:
        """The scenario to open on: the best one if it beats the baseline, else the first that
        changes the network or invests, else the first scenario."""
        if hasattr(self, "_featured"):
            return self._featured
        d = self.data
        best = self.best()
        choice = best if best and self.beats_baseline(best) else None
        if choice is None:
            for r in d.scenarios:
                fac = d.of("facilities", r)
                changed = not fac.empty and fac["change"].isin(["opened", "closed"]).any() and \
                    set(d.open_dcs(r)) != set(d.open_dcs(d.baseline) if d.baseline else [])
                case = d.finance(r, "capex_case")
                if changed or case.get("capex", 0.0) > 0 or case.get("closing", 0.0) > 0:
                    choice = r
                    break
        self._featured = choice or (d.scenarios[0] if d.scenarios else None)
        return self._featured

    def head(self, run_id: str) -> str:
        """A run as a table column heading (a sweep point on its own line)."""
        if run_id == self.data.baseline:
            return "Baseline"
        return e(run_id).replace("[", "<br>[")

    def label(self, run_id: str) -> str:
        if run_id == self.data.baseline:
            return "Baseline"
        desc = self.data.description(run_id)
        return f"{run_id} — {desc}" if desc else run_id

    @staticmethod
    def table(header: list[tuple[str, str]], rows: list[list[tuple[str, str]]],
              row_classes: list[str] | None = None) -> str:
        head = "".join(f'<th class="{c}">{h}</th>' for h, c in header)
        body = []
        for i, row in enumerate(rows):
            cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
            body.append(f"<tr{cls}>" + "".join(f'<td class="{c}">{v}</td>' for v, c in row)
                        + "</tr>")
        return (f'<div class="tablewrap"><table class="data"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table></div>')

    @staticmethod
    def tone(delta: float, lower_better: bool | None, tol: float = 1e-9) -> str:
        if lower_better is None or not fmt.ok(delta) or abs(delta) <= tol:
            return "neutral"
        better = delta < 0 if lower_better else delta > 0
        return "good" if better else "bad"

    def delta_cell(self, value: float, base: float, lower_better: bool | None,
                   show=None, show_delta=None) -> tuple[str, str]:
        show = show or (lambda v: money(v, self.cur))
        show_delta = show_delta or (lambda v: money(v, self.cur, sign=True))
        if not fmt.ok(value):
            return "–", "num"
        text = show(value)
        if fmt.ok(base):
            d = value - base
            shown = show_delta(d)
            if any(c in "123456789" for c in shown):  # a change that shows at this precision
                text += f'<span class="dl {self.tone(d, lower_better, 0.0)}">{shown}</span>'
            else:
                text += '<span class="dl neutral">–</span>'

        return text, "num"

    # -- sections --------------------------------------------------------------------------------

    def summary(self) -> str:
        d = self.data
        base = d.baseline
        parts = []
        if base is None or base not in d.solved:
            parts.append('<div class="callout warn">The baseline has no solution, so nothing is '
                         "compared against it. See the Trust section for the solve status.</div>")
        cards = []
        best = self.best()
        if base in d.solved:
            total = d.objective(base)
            cards.append(self.card("Baseline total landed cost", compact_money(total, self.cur),
                                   "per year, incl. purchase", hero=True))
            if best:
                delta = d.objective(best) - total
                moved = d.finance(best, "pnl_delta")
                profit = moved.get("economic_profit", math.nan)
                ebit = moved.get("ebit", math.nan)
                tone = self.tone(-profit if fmt.ok(profit) else delta, True)
                gain = (f'<b class="{tone}">{compact_money(profit, self.cur, sign=True)}</b> '
                        "economic profit / yr" + (
                            f" (EBIT {compact_money(ebit, self.cur, sign=True)})"
                            if fmt.ok(ebit) else "") if fmt.ok(profit) else
                        f'<b class="{tone}">{compact_money(delta, self.cur, sign=True)}</b> '
                        "cost / yr")
                if self.beats_baseline(best):
                    cards.append(self.card("Best scenario", e(best), gain, hero=True))
                else:
                    cards.append(self.card("Best scenario", "None certified better",
                                           f"closest: {e(best)}, {gain}, not significant at "
                                           "the runs' gaps", hero=True))
            kb = d.kpis(base)
            if best and not self.beats_baseline(best):
                best = None
            kx = d.kpis(best) if best else pd.Series(dtype=float)
            units = self.units()
            for name in ("logistics_cost_pct_revenue", "cost_per_order", "inventory_turns", "dio",
                         "fill_rate", "avg_delivery_days", "share_within_2d", "open_dcs"):
                if name not in kb:
                    continue
                value = kb[name]
                sub = "baseline"
                if best and name in kx and fmt.ok(kx[name]):
                    dv = kx[name] - value
                    lower = kpis.lower_is_better(name)
                    sub = (f'best scenario: <b class="{self.tone(dv, lower, 1e-9)}">'
                           f'{kpi(name, kx[name], units.get(name, ""), self.cur)}</b>')
                cards.append(self.card(fmt.label(name),
                                       kpi(name, value, units.get(name, ""), self.cur), sub))
        parts.append(f'<div class="cards">{"".join(cards)}</div>')
        if self.best():
            parts.append(self.best_callout(self.best()))
        parts.append("<h3>Scenarios at a glance</h3>")
        parts.append(self.overview())
        return self.section("summary", "Summary", "".join(parts),
                            "Every run of the study against the baseline: annual landed cost, "
                            "EBIT, economic profit, cash and the investment case.")

    @staticmethod
    def card(key: str, value: str, sub: str = "", hero: bool = False) -> str:
        cls = "card hero" if hero else "card"
        return (f'<div class="{cls}"><div class="k">{e(key)}</div><div class="v">{value}</div>'
                f'<div class="d">{sub}</div></div>')

    def units(self) -> dict[str, str]:
        k = self.data.tables["kpis"]
        if k.empty:
            return {}
        return dict(zip(k["name"].astype(str), k["unit"].fillna("").astype(str), strict=True))

    def best(self) -> str | None:
        """The scenario with the highest annual economic profit (lowest total cost when finance
        is missing): profit, not cost, so a scenario that serves less demand does not win by
        costing less; economic profit, not EBIT, because it is what the runs' bounds certify
        (revenue less every cost line the optimiser minimises)."""
        d = self.data
        if not d.scenarios or d.baseline not in d.solved:
            return None
        scored = []
        for r in d.scenarios:
            profit = d.finance(r, "pnl").get("economic_profit", math.nan)
            score = profit if fmt.ok(profit) else -d.objective(r)
            if fmt.ok(score):
                scored.append((score, r))
        return max(scored)[1] if scored else None

    def certified(self, run_id: str) -> dict:
        """The run's deltas vs the baseline with their certified intervals (finance section
        ``certified``: total_cost_delta, economic_profit_delta, npv, each with _low, _high,
        _significant)."""
        return self.data.finance(run_id, "certified")

    def beats_baseline(self, run_id: str) -> bool:
        """True only when the bounds certify the gain: the economic profit delta's interval lies
        above 0 (without finance, the total cost delta's below 0). A delta inside the gaps is
        never a saving, and its run is never the best scenario."""
        c = self.certified(run_id)
        if "economic_profit_delta_low" in c:
            low = c["economic_profit_delta_low"]
            return fmt.ok(low) and low > 0
        if "total_cost_delta_high" in c:
            return fmt.ok(c["total_cost_delta_high"]) and c["total_cost_delta_high"] < 0
        return False

    def interval(self, run_id: str, name: str) -> str:
        """``[low, high]`` under a delta, and the tag "not significant at this gap" when the
        interval contains 0."""
        c = self.certified(run_id)
        low, high = c.get(f"{name}_low", math.nan), c.get(f"{name}_high", math.nan)
        if not (fmt.ok(low) and fmt.ok(high)):
            return ""
        text = (f'<span class="dl neutral">[{money(low, self.cur, sign=True)}, '
                f'{money(high, self.cur, sign=True)}]</span>')
        if c.get(f"{name}_significant", 0.0) < 0.5:
            text += '<span class="dl ns">not significant at this gap</span>'
        return text

    def best_callout(self, best: str) -> str:
        d = self.data
        delta = d.objective(best) - d.objective(d.baseline)
        case = d.finance(best, "capex_case")
        bits = [f"<b>{e(best)}</b> ({e(d.description(best))}) changes total landed cost by "
                f"<b>{money(delta, self.cur, sign=True)}</b> a year "
                f"({fmt.pct(delta / d.objective(d.baseline), 1, sign=True)})"]
        if "npv" in case:
            bits.append(f"NPV over the horizon {money(case['npv'], self.cur)}")
        invests = case.get("capex", 0.0) > 0 or case.get("closing", 0.0) > 0
        if invests and fmt.ok(case.get("payback_months")):
            bits.append(f"payback {fmt.number(case['payback_months'], 0)} months")
        if "capex" in case and case["capex"] > 0:
            bits.append(f"CapEx {money(case['capex'], self.cur)}")
        if not self.beats_baseline(best):
            return ('<div class="callout warn">No scenario improves on the baseline\'s annual '
                    "economic profit by more than the runs' optimality gaps can explain. Closest: "
                    + "; ".join(bits) + ".</div>")
        return ('<div class="callout">Best scenario by annual economic profit: '
                + "; ".join(bits)
                + ".</div>")

    def overview(self) -> str:
        d = self.data
        base = d.baseline
        base_cost = d.objective(base) if base in d.solved else math.nan
        header = [("Run", ""), ("What it tests", ""), ("Status", ""),
                  ("Total landed cost / yr", "num"), ("Δ vs baseline", "num"),
                  ("EBIT Δ / yr", "num"), ("Economic profit Δ / yr", "num"),
                  ("Cash released", "num"), ("NPV", "num"),
                  ("Payback", "num"), ("Open DCs", "num")]
        rows = []
        ordered = ([base] if base else []) + [r for r in d.runs["run_id"] if r != base]
        for run_id in ordered:
            row = d.run(run_id)
            solved = run_id in d.solved
            cost = d.objective(run_id) if solved else math.nan
            delta = cost - base_cost
            moved = d.finance(run_id, "pnl_delta")
            ebit = moved.get("ebit", math.nan)
            profit = moved.get("economic_profit", math.nan)
            cash = d.finance(run_id, "working_capital_delta").get("cash_released", math.nan)
            case = d.finance(run_id, "capex_case")
            is_base = run_id == base
            payback = case.get("payback_months", math.nan)
            invests = case.get("capex", 0.0) > 0 or case.get("closing", 0.0) > 0
            payback_text = ("–" if is_base or not solved or not invests else
                            f"{fmt.number(payback, 0)} mo" if fmt.ok(payback) else
                            "never" if "npv" in case else "–")
            rows.append([
                (e("Baseline" if is_base else run_id), "name"),
                (e(str(row.get("description") or "")), "desc"),
                (self.status_pill(str(row["status"])), ""),
                (money(cost, self.cur), "num"),
                ("" if is_base else self.signed(delta, True, run_id, "total_cost_delta") + (
                    f'<span class="dl neutral">{fmt.pct(delta / base_cost, 2, sign=True)}</span>'
                    if fmt.ok(delta) and base_cost else "")
                    + self.interval(run_id, "total_cost_delta"), "num"),
                ("" if is_base else self.signed(ebit, False), "num"),
                ("" if is_base else self.signed(profit, False, run_id, "economic_profit_delta")
                    + self.interval(run_id, "economic_profit_delta"), "num"),
                ("" if is_base else self.signed(cash, False), "num"),
                ("" if is_base else money(case.get("npv", math.nan), self.cur)
                    + self.interval(run_id, "npv"), "num"),
                (payback_text if not is_base else "", "num"),
                (str(len(d.open_dcs(run_id))) if solved else "–", "num"),
            ])
        return self.table(header, rows)

    def signed(self, value: float, lower_better: bool, run_id: str | None = None,
               certified: str | None = None) -> str:
        """A signed amount, green when better and red when worse; neutral when ``certified``
        names a delta of ``run_id`` whose interval contains 0."""
        if not fmt.ok(value):
            return "–"
        tone = self.tone(value, lower_better, 0.5)
        if certified and self.certified(run_id).get(f"{certified}_significant", 1.0) < 0.5:
            tone = "neutral"
        return f'<span class="{tone}">{money(value, self.cur, sign=True)}</span>'

    @staticmethod
    def status_pill(status: str) -> str:
        cls = {"optimal": "ok", "time_limit": "warn"}.get(status, "err")
        return f'<span class="pill {cls}">{e(status.replace("_", " "))}</span>'

    @staticmethod
    def section(sid: str, title: str, body: str, lede: str = "") -> str:
        lede_html = f'<p class="lede">{lede}</p>' if lede else ""
        return f'<section id="{sid}"><h2>{e(title)}</h2>{lede_html}{body}</section>'

    # maps ---------------------------------------------------------------------------------------

    def maps(self) -> str:
        d = self.data
        lede = ("DCs by what the run does with them, customers sized by demand and coloured by "
                "the DC that serves most of it, lanes by mode with width by volume.")
        if d.locations is None:
            return self.section("maps", "Network maps",
                                f'<div class="callout warn">No map: {e(d.location_note)}.</div>',
                                lede)
        if not d.solved:
            return self.section("maps", "Network maps",
                                '<p class="note">No run has a solution to map.</p>', lede)
        colors = dc_colors(d)
        base = d.baseline if d.baseline in d.solved else None
        others = [r for r in d.solved if r != base]
        body = []
        if base and others:
            body.append(self.switch("map", "Compare the baseline with", others,
                                    "hover a DC, customer or lane for its numbers; "
                                    "scroll to zoom"))
            left = self.mapbox(base, colors)
            right = self.panels("map", others, lambda r: self.mapbox(r, colors))
            body.append(f'<div class="grid2"><div>{left}</div><div>{right}</div></div>')
        else:
            body.append(self.mapbox(base or others[0], colors))
        view = map_view(d)
        body.append(f'<p class="note">{"Country" if view.world else "State"} outlines: '
                    f"{e(geo.source(view))}. {view.projection.capitalize()}.</p>")
        return self.section("maps", "Network maps", "".join(body), lede)

    def mapbox(self, run_id: str, colors: dict[str, str]) -> str:
        d = self.data
        fig, drawn = network_map(d, run_id, colors)
        fac = d.of("facilities", run_id)
        n_open = len(d.open_dcs(run_id))
        facts = [f"{n_open} DC{'' if n_open == 1 else 's'} open"]
        if not fac.empty:
            for change, word in (("opened", "opened"), ("closed", "closed")):
                names = fac.loc[fac["change"] == change, "facility"].tolist()
                if change == "closed":
                    names += fac.loc[(fac["change"] == "forced_closed")
                                     & (fac["status"] == "existing"), "facility"].tolist()
                if names:
                    facts.append(f"{word}: " + ", ".join(charts.short(n) for n in names))
            upgrades = [f"{charts.short(f)} ({o.replace(';', ', ')})"
                        for f, o, op in zip(fac["facility"], fac["options"], fac["open"],
                                            strict=True) if op and isinstance(o, str) and o]
            if upgrades:
                facts.append("upgrades: " + "; ".join(upgrades))
        title = "Baseline" if run_id == d.baseline else run_id
        return (f'<div class="mapbox map" data-run="{e(run_id)}" data-open-dcs="{n_open}" '
                f'data-drawn-open-dcs="{drawn}"><div class="title">{e(title)}</div>'
                f'<div class="facts">{e(" · ".join(facts))}</div>{self.fig(fig, "map")}</div>')

    # costs --------------------------------------------------------------------------------------

    def costs(self) -> str:
        d = self.data
        if not d.solved:
            return self.section("costs", "Costs", '<p class="note">No solved run.</p>')
        body = ["<h3>Cost by line <span class=\"sub\">— per year; purchase (COGS) is in the "
                "table below, left out of the bars so the logistics lines stay readable</span>"
                "</h3>", self.fig(charts.cost_stack(d), "costs")]
        body.append(self.cost_table())
        if d.baseline in d.solved and d.scenarios:
            body.append("<h3>From the baseline to each scenario <span class=\"sub\">— waterfall "
                        "of total landed cost by cost line (red: costs more, green: saves)"
                        "</span></h3>")
            body.append(self.switch("waterfall", "Scenario", d.scenarios))
            body.append(self.panels("waterfall", d.scenarios,
                                    lambda r: self.fig(charts.waterfall(d, r), "waterfall")))
        return self.section("costs", "Costs", "".join(body),
                            "Total landed cost broken into the engine's cost lines, and what "
                            "moves between the baseline and each scenario.")

    def cost_table(self) -> str:
        d = self.data
        runs = d.solved
        table = pd.DataFrame({r: d.costs(r) for r in runs}).fillna(0.0)
        keep = [line for line in table.index if table.loc[line].abs().max() > 0.5]
        base = d.baseline if d.baseline in runs else None
        header = [("Cost line", "")] + [(self.head(r), "num") for r in runs]
        rows = []
        for line in keep:
            row = [(e(fmt.label(line)), "name")]
            for r in runs:
                if base and r != base:
                    row.append(self.delta_cell(table.at[line, r], table.at[line, base], True))
                else:
                    row.append((money(table.at[line, r], self.cur), "num"))
            rows.append(row)
        total = [("Total landed cost", "name")]
        for r in runs:
            if base and r != base:
                total.append(self.delta_cell(table[r].sum(), table[base].sum(), True))
            else:
                total.append((money(table[r].sum(), self.cur), "num"))
        rows.append(total)
        return self.table(header, rows, [""] * (len(rows) - 1) + ["total"])

    # kpis ---------------------------------------------------------------------------------------

    def kpis(self) -> str:
        d = self.data
        runs = d.solved
        units = self.units()
        base = d.baseline if d.baseline in runs else None
        names = [n for n in kpis.LABELS if n in units] + sorted(set(units) - set(kpis.LABELS))
        header = [("KPI", ""), ("Unit", "")] + [(self.head(r), "num") for r in runs]
        rows = []
        values = {r: d.kpis(r) for r in runs}
        for name in names:
            unit = units.get(name, "")
            lower = kpis.lower_is_better(name)
            row = [(e(fmt.label(name)), "name"),
                   (e(unit.replace("currency", self.cur or "currency")), "")]
            for r in runs:
                v = values[r].get(name, math.nan)
                if base and r != base:
                    row.append(self.delta_cell(
                        v, values[base].get(name, math.nan), lower,
                        show=lambda x, n=name, u=unit: kpi(n, x, u, self.cur),
                        show_delta=lambda x, n=name, u=unit: kpi(n, x, u, self.cur, sign=True)))
                else:
                    row.append((kpi(name, v, unit, self.cur), "num"))
            rows.append(row)
        body = ['<h3>Scenario × KPI <span class="sub">— change vs baseline under each value; '
                "green is better, red is worse</span></h3>", self.table(header, rows)]
        sweeps = []
        for name, group in d.sweep_groups().items():
            found = charts.sweep_points(d, group)
            if found is None:
                continue
            key, points = found
            sweeps.append(self.fig(charts.sweep_chart(d, name, key, points), "sweep"))
        body.append("<h3>Sensitivity sweeps</h3>")
        body += sweeps or ['<p class="note">This study has no sweep (a scenario with '
                           "<code>sweep:</code> over one setting).</p>"]
        return self.section("kpis", "KPIs", "".join(body),
                            "The shared finance/operations scorecard: cost to serve, inventory, "
                            "service and footprint for every run.")

    # finance ------------------------------------------------------------------------------------

    WC_ORDER = ("inventory_value_cycle", "inventory_value_safety", "inventory_value_pipeline",
                "inventory_value", "cogs", "dio", "turns")
    CASE_ORDER = ("capex", "capex_later", "closing", "closing_tax_shield",
                  "annual_operating_savings", "annual_revenue_change",
                  "annual_savings_before_tax", "annual_savings_after_tax",
                  "working_capital_release", "residual_value", "npv", "irr", "payback_months",
                  "discounted_payback_months")

    def finance(self) -> str:
        d = self.data
        fin = d.tables["finance"]
        if fin.empty or d.baseline not in d.solved:
            return self.section("finance", "Finance",
                                '<p class="note">No finance rows in this study (the baseline '
                                "needs a solution).</p>")
        runs = d.scenarios or [d.baseline]
        body = [self.switch("fin", "Scenario", runs,
                            "P&L and working capital against the baseline")]
        settings = d.extra.get("settings", {})

        def case(r: str) -> str:
            left = ("<h3>P&amp;L <span class=\"sub\">— per year</span></h3>" + self.pnl_table(r)
                    + self.pnl_note(settings))
            right = ("<h3>Working capital <span class=\"sub\">— inventory</span></h3>"
                     + self.wc_table(r))
            inner = f'<div class="grid2"><div>{left}</div><div>{right}</div></div>'
            if r != d.baseline:
                inner += ("<h3>CapEx case <span class=\"sub\">— cash flows of moving from the "
                          "baseline to this scenario</span></h3>")
                inner += self.fig(charts.cash_flow_chart(d, r), "cash")
            return inner

        body.append(self.panels("fin", runs, case))
        if d.scenarios:
            body.append("<h3>CapEx case per scenario</h3>")
            body.append(self.case_table())
            method = (settings.get("finance") or {}).get("depreciation", "straight_line")
            body.append(
                '<p class="note">Incremental cash flows as in Brealey, Myers &amp; Allen, '
                "<i>Principles of Corporate Finance</i>, ch. 6. Discount rate "
                f"{fmt.pct(settings.get('discount_rate'), 1)}, tax rate "
                f"{fmt.pct(settings.get('tax_rate'), 1)}, horizon "
                f"{e(str(settings.get('horizon_years', '–')))} years, tax depreciation "
                f"{'MACRS' if method == 'macrs' else 'straight line'}. Year 0 holds CapEx, "
                "closing costs less the tax they save and the working-capital release, counted "
                "once: the cost-of-capital part of inventory carrying is not also a yearly "
                "saving. Years 1… hold the after-tax savings, the depreciation tax shield and "
                "the replacement of assets whose life ends within the horizon; the last year "
                "the residual value of assets that outlive it. Payback “never”: not paid back "
                "within the horizon; “–”: nothing to pay back (no CapEx or closing cost)."
                "</p>")
        return self.section("finance", "Finance", "".join(body),
                            "The same runs in finance terms: P&amp;L, inventory working capital "
                            "and the investment case (NPV, IRR, payback).")

    def _compare_table(self, run_id: str, section: str, order: tuple[str, ...],
                       lower: dict[str, bool | None], fmts: dict) -> str:
        d = self.data
        base = d.finance(d.baseline, section)
        scen = d.finance(run_id, section)
        lines = [line for line in order if line in base.index or line in scen.index]
        is_base = run_id == d.baseline
        header = [("", ""), ("Baseline", "num")]
        if not is_base:
            header += [(self.head(run_id), "num"), ("Δ", "num")]
        rows, classes = [], []
        for line in lines:
            show = fmts.get(line, lambda v: money(v, self.cur))
            b, s = base.get(line, math.nan), scen.get(line, math.nan)
            row = [(e(fmt.label(line)), "name"), (show(b), "num")]
            if not is_base:
                dv = s - b
                sign_show = fmts.get(line + "_d", lambda v: money(v, self.cur, sign=True))
                tone = self.tone(dv, lower.get(line), 0.5 if line not in fmts else 1e-9)
                row += [(show(s), "num"),
                        (f'<span class="{tone}">{sign_show(dv)}</span>' if fmt.ok(dv) else "–",
                         "num")]
            rows.append(row)
            classes.append("total" if line in (*PNL_TOTALS, "inventory_value") else
                           "subtle" if line in ("cogs",) and section == "working_capital" else "")
        if not is_base and section == "working_capital":
            cash = d.finance(run_id, "working_capital_delta").get("cash_released", math.nan)
            tone = self.tone(cash, False, 0.5)
            rows.append([("Cash released (+) / tied up (−)", "name"), ("", "num"), ("", "num"),
                         (f'<span class="{tone}">{money(cash, self.cur, sign=True)}</span>',
                          "num")])
            classes.append("total")
        return self.table(header, rows, classes)

    @staticmethod
    def pnl_note(settings: dict) -> str:
        """What EBIT holds and what lies beneath it, with the study's rates."""
        rate, discount = settings.get("carrying_rate"), settings.get("discount_rate")
        chosen = (settings.get("finance") or {}).get("carrying_cost_of_capital")
        capital = chosen if chosen is not None else discount
        if fmt.ok(rate) and fmt.ok(capital):
            capital = min(capital, rate)
        return ('<p class="note">EBIT: revenue less COGS, freight, handling, warehousing, the '
                "holding part of inventory carrying (storage, insurance, obsolescence: "
                f"{fmt.pct(rate - capital if fmt.ok(rate) and fmt.ok(capital) else None, 1)} "
                f"of the {fmt.pct(rate, 1)} carrying rate), CO₂ and the straight-line "
                "depreciation of the CapEx. Beneath it the capital charge: the cost of capital "
                f"on inventory ({fmt.pct(capital, 1)} a year) and on the CapEx (the interest in "
                "its annuity); economic profit = EBIT − capital charge − closing costs "
                "(annualised), before tax.</p>")

    def pnl_table(self, run_id: str) -> str:
        lower = {line: line not in PNL_HIGHER_IS_BETTER for line in PNL_ORDER}
        return self._compare_table(run_id, "pnl", PNL_ORDER, lower, {})

    def wc_table(self, run_id: str) -> str:
        lower = {"inventory_value_cycle": True, "inventory_value_safety": True,
                 "inventory_value_pipeline": True, "inventory_value": True, "cogs": None,
                 "dio": True, "turns": False}
        fmts = {"dio": lambda v: fmt.number(v, 1), "dio_d": lambda v: fmt.number(v, 1, True),
                "turns": lambda v: fmt.number(v, 2), "turns_d": lambda v: fmt.number(v, 2, True)}
        return self._compare_table(run_id, "working_capital", self.WC_ORDER, lower, fmts)

    def case_table(self) -> str:
        d = self.data
        runs = d.scenarios
        header = [("", "")] + [(self.head(r), "num") for r in runs]
        rows = []
        cases = {r: d.finance(r, "capex_case") for r in runs}
        for line in self.CASE_ORDER:
            row = [(e(fmt.label("closing_one_time" if line == "closing" else line)), "name")]
            for r in runs:
                v = cases[r].get(line, math.nan)
                if line == "irr":
                    text = fmt.pct(v, 1) if fmt.ok(v) else "–"
                elif line.endswith("payback_months"):
                    invests = cases[r].get("capex", 0.0) > 0 or cases[r].get("closing", 0.0) > 0
                    text = ("–" if not invests else fmt.number(v, 0) if fmt.ok(v) else "never")
                elif line in ("capex", "capex_later", "closing"):
                    text = money(-v if fmt.ok(v) and v else v, self.cur)
                else:
                    text = money(v, self.cur)
                    if line == "npv" and fmt.ok(v):
                        text = f'<span class="{self.tone(v, False, 0.5)}">{text}</span>'
                row.append((text, "num"))
            rows.append(row)
        classes = ["total" if line == "npv" else "" for line in self.CASE_ORDER]
        return self.table(header, rows, classes)

    # inventory ----------------------------------------------------------------------------------

    def inventory(self) -> str:
        d = self.data
        runs = d.solved
        strategy = d.tables["strategy"]
        body = ["<h3>Product-to-node strategy <span class=\"sub\">— hub: one stocking point; "
                "regional: stocked at several DCs; tiered: hub plus regional stock</span></h3>"]
        if strategy.empty or not runs:
            body.append('<p class="note">No strategy rows.</p>')
        else:
            products = list(dict.fromkeys(strategy["product"].astype(str)))
            by = {r: d.of("strategy", r).set_index("product") for r in runs}
            header = [("Product", "")] + [(self.head(r), "")
                                          for r in runs]
            rows = []
            for p in products:
                row = [(e(p), "name")]
                for r in runs:
                    if p in by[r].index:
                        s = by[r].loc[p]
                        kind = str(s["strategy"])
                        title = e(str(s.get("facilities", "")).replace(";", ", "))
                        row.append((f'<span class="pill {e(kind)}" title="{title}">{e(kind)}'
                                    f'</span> {int(s["stocking_points"])}', "nowrap"))
                    else:
                        row.append(("–", ""))
                rows.append(row)
            count_row = [("Products hub / regional / tiered", "name")]
            for r in runs:
                kinds = by[r]["strategy"].astype(str).value_counts() if not by[r].empty else {}
                count_row.append((" / ".join(str(int(kinds.get(k, 0)))
                                             for k in ("hub", "regional", "tiered")), ""))
            rows.append(count_row)
            body.append(self.table(header, rows, [""] * (len(rows) - 1) + ["total"]))
            body.append('<p class="note">The number is the count of stocking points (DCs holding '
                        "the product); hover a strategy for the DCs.</p>")
        if runs:
            body.append("<h3>Inventory by DC <span class=\"sub\">— value of cycle, safety and "
                        "pipeline stock</span></h3>")
            body.append(self.switch("inv", "Run", runs))
            body.append(self.panels("inv", runs, lambda r: self.fig(charts.inventory_chart(d, r),
                                                                    "inventory")))
        return self.section("inventory", "Inventory", "".join(body),
                            "Where each product is stocked, and the inventory (and so the working "
                            "capital) every DC holds.")

    # forecast -----------------------------------------------------------------------------------

    def forecast(self) -> str:
        """History against forecast for the top products, accuracy by segment, ABC/XYZ matrix."""
        tables = self.data.extra.get("forecast") or {}
        if not tables:
            return ""
        months, segments = tables["forecast_months"], tables["segments"]
        top = (months.groupby("product")["actual"].sum().sort_values(ascending=False)
               .index[:5].tolist())
        body = ["<h3>History and forecast <span class=\"sub\">— the five largest products, "
                "units a month</span></h3>", self.fig(charts.forecast_chart(months, top),
                                                     "forecast")]
        header = [("Segment", ""), ("Series", "num"), ("Backtest units", "num"), ("WAPE", "num"),
                  ("Bias", "num"), ("MASE", "num"), ("MAPE", "num")]
        accuracy = pd.concat([tables["accuracy_segment"],
                              tables["accuracy_overall"].assign(segment="all")])
        rows = [[(e(str(r.segment)), "name"), (fmt.number(r.series), "num"),
                 (fmt.number(r.actual), "num"), (fmt.pct(r.wape, 1), "num"),
                 (fmt.pct(r.bias, 1, sign=True), "num"), (fmt.number(r.mase, 2), "num"),
                 (fmt.pct(r.mape, 1) if fmt.ok(r.mape) else "–", "num")]
                for r in accuracy.itertuples()]
        body += ["<h3>Backtest accuracy by segment</h3>", self.table(header, rows)]
        body += ["<h3>ABC (value) × XYZ (forecast error)</h3>", self.abc_xyz(segments)]
        methods = tables["forecast_series"]["choice"].value_counts()
        body += ["<h3>Methods chosen by the backtest</h3>", self.table(
            [("Method", ""), ("Series", "num")],
            [[(e(str(k)), "name"), (fmt.number(v), "num")] for k, v in methods.items()])]
        return self.section("forecast", "Forecast", "".join(body),
                            "Demand, its variability and the seasonal peak come from the sales "
                            "history: each series' method chosen by a rolling-origin backtest, "
                            "whose error is the demand_sd behind safety stock.")

    def abc_xyz(self, segments: pd.DataFrame) -> str:
        header = [("Value \\ error", "")] + [(x, "") for x in ("X", "Y", "Z")]
        rows = []
        for abc in ("A", "B", "C"):
            cells = [(f"<b>{abc}</b>", "name")]
            for xyz in ("X", "Y", "Z"):
                names = segments.loc[(segments["abc"] == abc) & (segments["xyz"] == xyz),
                                     "product"].astype(str).tolist()
                cells.append((e(", ".join(names)) or "–", ""))
            rows.append(cells)
        return self.table(header, rows)

    # service ------------------------------------------------------------------------------------

    def service(self) -> str:
        d = self.data
        if not d.solved:
            return self.section("service", "Service", '<p class="note">No solved run.</p>')
        body = [self.fig(charts.service_chart(d), "service")]
        unmet = d.tables["unmet"]
        if not unmet.empty and unmet["units"].astype(float).sum() > 0:
            totals = unmet.groupby("run_id")["units"].sum()
            rows = [[(e(r), "name"), (fmt.number(totals[r]), "num")] for r in totals.index]
            body.append("<h3>Unmet demand</h3>")
            body.append(self.table([("Run", ""), ("Units / yr not served", "num")], rows))
        return self.section("service", "Service", "".join(body),
                            "Share of delivered demand by delivery days (transit plus handling, "
                            "flow-weighted), the customer promise in numbers.")

    # trust --------------------------------------------------------------------------------------

    def trust(self) -> str:
        d = self.data
        header = [("Run", ""), ("Mode", ""), ("Status", ""), ("Objective", "num"),
                  ("Bound", "num"), ("Floor", "num"), ("Gap (controllable)", "num"),
                  ("Gap (total)", "num"), ("Build s", "num"), ("Solve s", "num"),
                  ("Model size", "num"), ("Finished", ""), ("Input hash", "")]
        rows = []
        for row in d.runs.itertuples(index=False):
            size = row.model_size if isinstance(row.model_size, dict) else {}
            size_text = (f"{fmt.number(size.get('rows'))} × {fmt.number(size.get('columns'))}"
                         f" ({fmt.number(size.get('integer_columns'))} int)") if size else "–"
            rows.append([
                (e(str(row.run_id)), "name"), (e(str(row.mode)), ""),
                (self.status_pill(str(row.status)), ""),
                (money(row.objective, self.cur), "num"),
                (money(row.bound, self.cur), "num"),
                (money(getattr(row, "floor", math.nan), self.cur), "num"),
                (fmt.pct(row.gap, 2) if fmt.ok(row.gap) else "–", "num"),
                (fmt.pct(getattr(row, "gap_total", math.nan), 3)
                 if fmt.ok(getattr(row, "gap_total", math.nan)) else "–", "num"),
                (fmt.number(row.build_seconds, 1), "num"),
                (fmt.number(row.solve_seconds, 1), "num"),
                (size_text, "num"),
                (e(str(row.finished_at or "").replace("T", " ").replace("+00:00", " UTC")),
                 "nowrap"),
                (f'<code title="{e(str(row.input_hash or ""))}">'
                 f"{e(str(row.input_hash or '')[:10])}</code>", ""),
            ])
        body = ["<h3>Solve status of every run</h3>", self.table(header, rows),
                '<p class="note">The floor is the cost no decision can change (purchase at each '
                "product's cheapest source, and what forced decisions fix). The controllable gap "
                "is (objective − bound) / (objective − floor): how far from optimal the answer "
                "can be on the cost the network decides; the total gap divides by the whole "
                "objective. A run's delta against the baseline is certified within [its bound − "
                "the baseline's objective, its objective − the baseline's bound]; a delta whose "
                "interval contains 0 is marked not significant at this gap.</p>"]
        problems = []
        for row in d.runs.itertuples(index=False):
            notes = list(row.diagnosis or []) if isinstance(row.diagnosis, list) else []
            if row.error:
                notes.insert(0, str(row.error))
            for note in notes:
                problems.append([(e(str(row.run_id)), "name"),
                                 (f"<code>{e(note)}</code>", "")])
        if problems:
            body.append("<h3>Errors and diagnosis</h3>")
            body.append(self.table([("Run", ""), ("Message", "")], problems))
        body.append("<h3>Change log <span class=\"sub\">— every change each scenario applied "
                    "to the model</span></h3>")
        log_rows = []
        for row in d.runs.itertuples(index=False):
            for change in row.change_log or []:
                old, new = change.get("old"), change.get("new")
                log_rows.append([
                    (e(str(row.run_id)), "name"), (e(str(change.get("source", ""))), ""),
                    (e(str(change.get("table", ""))), ""), (e(str(change.get("column", ""))), ""),
                    (e(str(change.get("rows", ""))), "num"),
                    (e("–" if old is None else str(old)), ""),
                    (e("–" if new is None else str(new)), ""),
                ])
        if log_rows:
            body.append(self.table([("Run", ""), ("Source", ""), ("Table", ""), ("Column", ""),
                                    ("Rows", "num"), ("Old", ""), ("New", "")], log_rows))
        else:
            body.append('<p class="note">No run changed the model.</p>')
        return self.section("trust", "Trust", "".join(body),
                            "How each number was produced: solver status, optimality gap and "
                            "times, and the audit trail of scenario changes.")

    # page ---------------------------------------------------------------------------------------

    def render(self) -> str:
        d = self.data
        sections = [self.summary(), self.maps(), self.costs(), self.kpis(), self.forecast(),
                    self.finance(), self.inventory(), self.service(), self.trust()]
        css = (DATA / "style.css").read_text()
        shown = "".join(sections)
        toc = "".join(f'<a href="#{sid}">{e(title)}</a>' for sid, title in SECTIONS
                      if f'<section id="{sid}">' in shown)
        n_runs = len(d.runs)
        meta = [f"Study date {e(study_date(d))}", f"{n_runs} run{'s' if n_runs != 1 else ''}",
                f"{len(d.solved)} solved", f"currency {e(d.currency or '–')}"]
        meta_html = "".join(f"<span>{m}</span>" for m in meta)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Network study — {e(d.name)}</title>"
            f"<style>{css}</style>"
            f"<script>{get_plotlyjs()}</script></head><body>"
            f'<header class="top"><div class="wrap"><div class="eyebrow">Network design study'
            f'</div><h1>{e(d.name)}</h1><div class="meta">{meta_html}</div></div></header>'
            f'<nav class="toc"><div class="wrap">{toc}</div></nav>'
            f'<main><div class="wrap">{shown}</div></main>'
            f'<footer>Generated by netdesign from <code>{e(str(d.folder / "results.duckdb"))}'
            "</code>. Self-contained: no network access needed to view.</footer>"
            f"<script>{SWITCH_JS}</script></body></html>"
        )


def render(data: StudyData) -> str:
    return Page(data).render()
