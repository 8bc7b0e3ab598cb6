"""Number formatting shared by the HTML tables, charts and headline cards."""

from __future__ import annotations

import math

from netdesign import kpis

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "CAD": "C$",
           "AUD": "A$", "CHF": "CHF ", "MXN": "MX$", "BRL": "R$"}

LINE_LABELS = {
    "purchase": "Purchase (COGS)",
    "freight_inbound": "Freight inbound",
    "freight_transfer": "Freight transfer",
    "freight_outbound": "Freight outbound",
    "freight_direct": "Freight direct",
    "handling": "Handling",
    "facility_fixed": "DC fixed cost",
    "facility_capex": "DC CapEx (annualised)",
    "option_capex": "Upgrade CapEx (annualised)",
    "option_opex": "Upgrade opex",
    "closing": "Closing (annualised)",
    "carrying_cycle": "Carrying: cycle stock",
    "carrying_safety": "Carrying: safety stock",
    "carrying_pipeline": "Carrying: pipeline",
    "co2": "CO₂ cost",
    "unmet_penalty": "Unmet demand penalty",
    # P&L
    "revenue": "Revenue",
    "cogs": "COGS",
    "warehousing_fixed": "Warehousing fixed",
    "inventory_holding": "Inventory holding cost",
    "depreciation": "Depreciation",
    "ebit": "EBIT",
    "capital_charge_inventory": "Capital charge: inventory",
    "capital_charge_assets": "Capital charge: CapEx",
    "capital_charge": "Capital charge",
    "economic_profit": "Economic profit",
    # working capital
    "inventory_value_cycle": "Inventory: cycle stock",
    "inventory_value_safety": "Inventory: safety stock",
    "inventory_value_pipeline": "Inventory: pipeline",
    "inventory_value": "Inventory value",
    "dio": "DIO (days)",
    "turns": "Inventory turns",
    "cash_released": "Cash released",
    # CapEx case
    "capex": "CapEx (one-time)",
    "capex_later": "CapEx replacements (later years)",
    "closing_one_time": "Closing costs (one-time)",
    "closing_tax_shield": "Tax saved on closing costs",
    "residual_value": "Residual value at the horizon (after tax)",
    "annual_operating_savings": "Operating savings / yr",
    "annual_revenue_change": "Revenue change / yr",
    "annual_savings_before_tax": "Savings before tax / yr",
    "annual_savings_after_tax": "Savings after tax / yr",
    "working_capital_release": "Working-capital release",
    "discount_rate": "Discount rate",
    "tax_rate": "Tax rate",
    "horizon_years": "Horizon (years)",
    "npv": "NPV",
    "irr": "IRR",
    "payback_months": "Payback (months)",
    "discounted_payback_months": "Discounted payback (months)",
}


def label(line: str) -> str:
    """A cost, finance or KPI line's name as the report and workbook show it."""
    kpi = kpis.LABELS.get(line)
    return LINE_LABELS.get(line) or (kpi and kpi.label) or line.replace("_", " ").capitalize()


def ok(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def symbol(currency: str) -> str:
    return SYMBOLS.get(currency.upper(), f"{currency} " if currency else "")


def number(value, digits: int = 0, sign: bool = False) -> str:
    """12,345 (or +12,345 with ``sign``); '–' for None/nan."""
    if not ok(value):
        return "–"
    value = float(value)
    if abs(value) < 0.5 * 10 ** -digits:
        value = 0.0
    return f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"


def money(value, currency: str, digits: int = 0, sign: bool = False) -> str:
    """$12,345,678 / −$1,234 / +$1,234 (with ``sign``)."""
    if not ok(value):
        return "–"
    value = float(value)
    if abs(value) < 0.5 * 10 ** -digits:
        value = 0.0
    text = f"{symbol(currency)}{abs(value):,.{digits}f}"
    if value < 0:
        return "−" + text
    return ("+" + text) if sign and value > 0 else text


def compact_money(value, currency: str, sign: bool = False) -> str:
    """$12.3M, $845K, −$1.20B: for headline cards and chart labels."""
    if not ok(value):
        return "–"
    value = float(value)
    size = abs(value)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= div:
            digits = 2 if size / div < 10 else 1
            text = f"{symbol(currency)}{size / div:,.{digits}f}{suffix}"
            break
    else:
        text = f"{symbol(currency)}{size:,.0f}"
    if value < 0:
        return "−" + text
    return ("+" + text) if sign and value > 0 else text


def pct(value, digits: int = 1, sign: bool = False, share: bool = True) -> str:
    """A share (0.953 → 95.3 %) or, with ``share=False``, a percentage number (95.3 → 95.3 %)."""
    if not ok(value):
        return "–"
    value = float(value) * (100.0 if share else 1.0)
    return (f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}") + "%"


def kpi(name: str, value, unit: str, currency: str, sign: bool = False) -> str:
    """A KPI in its unit (:data:`netdesign.kpis.UNITS`)."""
    if unit == "share":
        return pct(value, 1, sign) if not sign else pts(value)
    if unit in ("%", "%/year"):
        return pct(value, 1, sign, share=False) if not sign else pts(value, share=False)
    if unit.startswith("currency"):
        digits = 0 if name == "total_cost" else 2
        return money(value, currency, digits, sign)
    if unit == "count":
        return number(value, 0, sign)
    if unit in ("days", "1/year"):
        return number(value, 1 if name == "dio" else 2, sign)
    if unit == "kg CO2/unit":
        return number(value, 3, sign)
    return number(value, 0, sign)


def pts(value, share: bool = True) -> str:
    """A change of a rate in percentage points: +1.2 pp."""
    if not ok(value):
        return "–"
    value = float(value) * (100.0 if share else 1.0)
    if abs(value) < 0.05:
        value = 0.0
    return f"{value:+.1f} pp"
