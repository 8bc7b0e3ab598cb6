"""The model format: one pydantic model per table row and one for ``model.yaml``.

These classes are the single source of truth for column names, types, units, defaults and ranges.
Validation (``netdesign.validate``), the CSV/Excel converter and the README's format reference are
all derived from them. A field's ``description`` starts with its unit in square brackets.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

INF = math.inf

LEGS = ("inbound", "transfer", "outbound", "direct")

#: most HiGHS threads a model may ask for (more than a machine's cores only slows HiGHS down, and
#: a huge count fails inside HiGHS when it allocates its scheduler)
MAX_THREADS = 64
#: the largest magnitude of a number in a table cell (a larger one overflows the model's sums and
#: HiGHS's tolerances; blank or inf is the way to write "unlimited")
MAX_NUMBER = 1e15
TOO_BIG = f"a number of magnitude ≤ {MAX_NUMBER:g} (blank or inf for unlimited, where allowed)"
#: C0 control characters and DEL: never in an id or a name (they break workbooks and reports)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NO_CONTROL = "text without control characters (U+0000–U+001F, U+007F)"


def no_control(value: object) -> object:
    """``value`` unchanged unless it is text holding a control character (after stripping)."""
    if isinstance(value, str) and CONTROL.search(value.strip()):
        raise ValueError(NO_CONTROL)
    return value


class Row(BaseModel):
    """Base of every table row: unknown columns are kept, strings are stripped."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _finite(cls, value: object, info: ValidationInfo) -> object:
        """NaN is never a number; inf only where the default is inf (a capacity: unlimited); no
        magnitude above MAX_NUMBER; text holds no control characters."""
        field = cls.model_fields[info.field_name]
        if field.annotation in (str, str | None):
            return no_control(value)
        if field.annotation not in (float, float | None) or isinstance(value, bool):
            return value
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return value  # not a number at all: reported by the field's own parsing
        if math.isnan(number):
            raise ValueError("a number")
        if math.isinf(number) and field.default != INF:
            raise ValueError("a finite number")
        bounded = any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                      for m in field.metadata)  # its own range is the better message
        if math.isfinite(number) and abs(number) > MAX_NUMBER and not bounded:
            raise ValueError(TOO_BIG)
        return value


class LocatedRow(Row):
    """A row with a place: either lat/lon or a ``location`` (see :mod:`netdesign.gazetteer`)."""

    lat: float | None = Field(None, ge=-90, le=90, description="[degrees] latitude, WGS84")
    lon: float | None = Field(None, ge=-180, le=180, description="[degrees] longitude, WGS84")
    location: str | None = Field(
        None, description='[-] "City, ST", "City, CC", "City, ST, CC" or US ZIP, geocoded '
        "offline when lat/lon are blank",
    )
    country: str | None = Field(
        None, description="[-] ISO 3166 country code or name the location lies in (optional; "
        "resolves 'Windsor, CA': California or Canada)",
    )


class ProductRow(Row):
    product: str = Field(description="[-] product or family id (key)")
    unit_value: float = Field(ge=0, description="[currency/unit] inventory value (landed cost)")
    unit_price: float = Field(ge=0, description="[currency/unit] selling price (revenue)")
    weight_kg: float = Field(ge=0, description="[kg/unit] shipping weight")
    service_level: float = Field(
        0.95, gt=0, lt=1, description="[share] cycle service level behind safety stock (z)"
    )
    segment: str | None = Field(
        None,
        description="[-] fast | slow | seasonal; hybrid strategy stocks fast movers regionally; "
        "blank with a demand_history: derived from it (netdesign.segmentation)",
    )


class SupplierRow(LocatedRow):
    supplier: str = Field(description="[-] supplier, plant or import port id (key)")


class SupplyRow(Row):
    supplier: str = Field(description="[-] supplier id (suppliers.supplier)")
    product: str = Field(description="[-] product id (products.product)")
    unit_cost: float = Field(ge=0, description="[currency/unit] purchase cost at the supplier")
    capacity: float = Field(
        INF, ge=0, description="[units/year] supply capacity; blank = unlimited"
    )
    lead_time_days: float = Field(0.0, ge=0, description="[days] order lead time before shipping")
    lead_time_sd_days: float = Field(
        0.0, ge=0, description="[days] standard deviation of lead time"
    )


class FacilityRow(LocatedRow):
    facility: str = Field(description="[-] DC id (key)")
    status: Literal["existing", "candidate", "forced_open", "forced_closed"] = Field(
        "candidate",
        description="[-] existing | candidate | forced_open (a new site that must open: pays "
        "capex) | forced_closed (not available; an existing DC pays its closing cost)",
    )
    fixed_cost: float = Field(0.0, ge=0, description="[currency/year] fixed operating cost if open")
    capex: float = Field(0.0, ge=0, description="[currency] one-time cost to open a candidate")
    capex_life_years: float = Field(20.0, gt=0, le=100,
                                    description="[years] life for annualising capex")
    closing_cost: float = Field(0.0, ge=0, description="[currency] one-time cost to close")
    throughput_capacity: float = Field(INF, ge=0, description="[units/year] blank = unlimited")
    storage_capacity: float = Field(
        INF, ge=0, description="[units] average inventory; blank = none"
    )
    handling_cost: float = Field(0.0, ge=0, description="[currency/unit] handling per unit shipped")
    replenish_lead_time_days: float = Field(
        7.0, ge=0, description="[days] lead time when the DC is its own source (no supply table)"
    )


class FacilityOptionRow(Row):
    facility: str = Field(description="[-] DC id (facilities.facility)")
    option: str = Field(description="[-] upgrade name, e.g. automation, expansion")
    capex: float = Field(0.0, ge=0, description="[currency] one-time investment")
    life_years: float = Field(10.0, gt=0, le=100,
                              description="[years] depreciation and annualising life")
    annual_cost: float = Field(0.0, description="[currency/year] opex change, negative = saving")
    capacity_factor: float = Field(1.0, ge=0, le=100,
                                   description="[x] multiplier of the DC's throughput, peak-month "
                                   "and storage capacity (the model applies it to all three)")
    handling_cost_factor: float = Field(1.0, ge=0, le=100,
                                        description="[x] handling cost multiplier")
    status: Literal["available", "forced", "excluded"] = Field(
        "available", description="[-] available (the optimiser decides) | forced | excluded"
    )


class CustomerRow(LocatedRow):
    customer: str = Field(description="[-] demand zone id (key)")
    region: str = Field("", description="[-] region label for filters and reports")
    max_days: float | None = Field(
        None, gt=0, description="[days] delivery promise; blank = model service.max_days"
    )


class DemandRow(Row):
    customer: str = Field(description="[-] customer id (customers.customer)")
    product: str = Field(description="[-] product id (products.product)")
    annual_units: float = Field(ge=0, description="[units/year] demand")
    demand_sd: float = Field(
        0.0, ge=0, description="[units/day] standard deviation of daily demand"
    )
    orders_per_year: float = Field(52.0, ge=0, description="[orders/year] order lines shipped")


class DemandHistoryRow(Row):
    customer: str = Field(description="[-] customer id (customers.customer)")
    product: str = Field(description="[-] product id (products.product)")
    period: str = Field(
        description='[-] ISO week "2025-W07" or month "2025-07", one kind per table'
    )
    units: float = Field(ge=0, description="[units] sold (shipped) in the period")
    orders: float | None = Field(
        None, ge=0, description="[orders] order lines in the period; blank = not known"
    )


class DemandProfileRow(Row):
    product: str = Field(description="[-] product id (products.product)")
    month: int = Field(ge=1, le=12, description="[-] calendar month 1-12")
    share: float = Field(ge=0, le=1, description="[share] of the product's annual units")


class ModeRow(Row):
    mode: str = Field(description="[-] mode id (key): truck, rail, intermodal, air, ocean, ...")
    legs: str = Field(description="[-] ;-separated subset of inbound;transfer;outbound;direct")
    cost_per_kg_km: float = Field(ge=0, description="[currency/(kg·km)] variable rate")
    cost_per_unit_fixed: float = Field(0.0, ge=0, description="[currency/unit] per-unit charge")
    speed_km_per_day: float = Field(gt=0, description="[km/day] door-to-door average speed")
    handling_days: float = Field(0.0, ge=0, description="[days] added to every transit")
    fuel_share: float = Field(0.0, ge=0, le=1, description="[share] part of rate indexed to fuel")
    co2_kg_per_tonne_km: float = Field(0.0, ge=0, description="[kg CO2/(t·km)] emission factor")
    min_km: float = Field(0.0, ge=0, description="[km] shortest lane the mode serves")
    max_km: float = Field(INF, ge=0, description="[km] longest lane the mode serves; blank = any")

    @field_validator("legs")
    @classmethod
    def _known_legs(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(";") if p.strip()]
        unknown = [p for p in parts if p not in LEGS]
        if not parts or unknown:
            raise ValueError(f"a ;-separated subset of {';'.join(LEGS)}")
        return ";".join(parts)


class LaneRow(Row):
    origin: str = Field(description="[-] supplier or facility id")
    destination: str = Field(description="[-] facility or customer id")
    mode: str = Field(description="[-] mode id (modes.mode)")
    cost_per_unit: float | None = Field(None, ge=0, description="[currency/unit] overrides rate")
    distance_km: float | None = Field(None, ge=0, description="[km] overrides geodesic×circuity")
    transit_days: float | None = Field(None, ge=0, description="[days] overrides distance/speed")


class ServiceBand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: float = Field(gt=0, description="[days] delivery time of the band")
    share: float = Field(ge=0, le=1, description="[share] of demand to deliver within `days`")


class ServiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_days: float = Field(5.0, gt=0, description="[days] default customer promise")
    band: ServiceBand | None = None


class InventorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    review_period_days: float = Field(7.0, gt=0, le=366,
                                      description="[days] periodic review interval R")
    pooling: bool = Field(True, description="[-] risk-pooled safety stock (piecewise, binaries)")
    pwl_max_error: float = Field(
        0.03, gt=0, lt=0.5, description="[share] max relative error of the pooled safety stock"
    )


class SolverSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_limit: float = Field(300.0, gt=0, le=1e7, description="[s] wall-clock limit")
    mip_gap: float = Field(0.005, ge=0, le=1, description="[share] MIP gap on the controllable "
                           "cost (objective − floor, see README)")
    threads: int = Field(2, ge=1, le=MAX_THREADS,
                         description=f"[-] HiGHS threads (at most {MAX_THREADS}; more than the "
                         "machine's cores only slows HiGHS down)")
    seed: int = Field(0, ge=0, le=2**31 - 1,
                      description="[-] HiGHS random seed (deterministic runs)")
    memory_limit_gb: float | None = Field(
        None, gt=0, le=1e5,
        description="[GB] refuse, before building, a model whose estimated peak memory is above "
        "this (blank: the memory available when it is built)")


class FacilityCountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_open: int = Field(0, ge=0, description="[-] fewest DCs open")
    max_open: int | None = Field(None, ge=0, description="[-] most DCs open; blank = no limit")


class HybridSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fast_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description="[share] without a segment column, products making up this share of units "
        "(largest first, Pareto/ABC) are fast movers",
    )


class ReductionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nearest_dcs: int | None = Field(
        None,
        ge=1,
        description="[-] APPROXIMATE: serve each customer only from its k nearest DCs within the "
        "promise (off when blank; exact reductions always apply)",
    )


class UnmetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed: bool = Field(False, description="[-] allow unserved demand at a penalty")
    penalty_factor: float = Field(
        1.0, ge=0, le=1e6,
        description="[x] penalty per unit = factor × max(unit_price, unit_value)"
    )


class LaunchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product: str = Field(description="[-] the new product (a products row; supply rows too)")
    analogue: str = Field(description="[-] the product whose forecast it follows")
    scale: float = Field(1.0, ge=0, description="[x] the new product's units per analogue unit")


class ForecastSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    use_history: bool = Field(
        True,
        description="[-] with a demand_history table, demand (and demand_profile) is the "
        "planning year's forecast; false: the demand table as given",
    )
    method: Literal["auto", "moving_average", "seasonal_naive", "ets", "croston", "tsb",
                    "adida"] = Field(
        "auto", description="[-] auto: each series gets the method with the lowest backtest "
        "error; or one method for every series",
    )
    horizon_months: int = Field(
        12, ge=12, le=120, description="[months] forecast length; the planning year is its first 12"
    )
    backtest_origins: int = Field(4, ge=1, le=60, description="[-] rolling forecast origins")
    backtest_months: int = Field(3, ge=1, le=24,
                                 description="[months] forecast length per origin")
    sparse_share: float = Field(
        0.5, ge=0, le=1, description="[share] a customer × product series with fewer non-zero "
        "months than this is forecast top-down from product × region",
    )
    error_scale: float = Field(
        1.0, ge=0, le=100,
        description="[x] multiplies the forecast error behind demand_sd (scenarios)"
    )
    launches: list[LaunchSettings] = Field(
        default_factory=list,
        description="[-] new products without history, each following an analogue's forecast "
        "(customers, months and error CV) × scale: [{product, analogue, scale}]",
    )


class SegmentationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    abc: tuple[float, float] = Field(
        (0.8, 0.95), description="[share] cumulative value share closing classes A and B"
    )
    xyz: tuple[float, float] = Field(
        (0.1, 0.25), description="[x] forecast-error CV (customer level, monthly) closing "
        "classes X and Y"
    )
    seasonal_strength: float = Field(
        0.9, ge=0, le=1, description="[share] STL seasonal strength from which a product is "
        "seasonal",
    )
    new_months: int = Field(12, ge=1, le=120,
                            description="[months] a shorter history is a new product")
    growth: float = Field(
        0.1, ge=0, description="[share] year-on-year change beyond which a product grows or "
        "declines",
    )

    @field_validator("abc", "xyz")
    @classmethod
    def _ascending(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1]:
            raise ValueError("two ascending numbers ≥ 0, e.g. [0.8, 0.95]")
        return value


class PeakSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(
        True, description="[-] with a demand_profile, cap each month's throughput at a DC"
    )
    capacity_factor: float = Field(
        1.0, gt=0, le=12, description="[x] a month's throughput capacity = factor × annual "
        "capacity × days of the month / 365 (12: a month may carry a year's capacity)"
    )


class FinanceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrying_cost_of_capital: float | None = Field(
        None, ge=0, le=10, description="[share/year] the part of carrying_rate that is the cost "
        "of the capital tied up in inventory (the rest is holding cost: storage, insurance, "
        "obsolescence, shrinkage); the P&L puts it beneath EBIT in the capital charge and the "
        "CapEx case counts it once, as the working capital released; default: discount_rate; "
        "capped at carrying_rate"
    )
    depreciation: Literal["straight_line", "macrs"] = Field(
        "straight_line", description="[-] tax depreciation of CapEx in the CapEx case: "
        "straight_line over the asset's life, or macrs (US MACRS GDS, half-year convention; "
        "lives of 3, 5, 7, 10, 15 or 20 years, other lives straight line); the P&L depreciates "
        "straight line"
    )


class Settings(BaseModel):
    """``model.yaml``: every setting of a model, with its default."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="[-] model name, shown in reports")
    currency: str = Field("USD", description="[-] currency of every cost and price")
    circuity_factor: float = Field(1.2, ge=1, le=5, description="[x] road km per geodesic km")
    carrying_rate: float = Field(0.25, ge=0, le=10, description="[share/year] of inventory value")
    fuel_index: float = Field(1.0, ge=0, le=100, description="[x] fuel price vs rate base")
    co2_price: float = Field(0.0, ge=0, le=1e6,
                             description="[currency/tonne CO2] emissions price")
    discount_rate: float = Field(0.08, ge=0, le=1,
                                 description="[share/year] for NPV and annualising")
    tax_rate: float = Field(0.25, ge=0, lt=1, description="[share] corporate tax")
    horizon_years: int = Field(10, ge=1, le=100, description="[years] CapEx case horizon")
    finance: FinanceSettings = FinanceSettings()
    days_per_year: float = Field(
        365.0, ge=1, le=366, description="[days] annual ↔ daily demand (365, or working days)"
    )
    service: ServiceSettings = ServiceSettings()
    sourcing: Literal["single", "multi"] = Field(
        "multi", description="[-] single: each customer served by one DC; multi: split allowed"
    )
    strategy: Literal["free", "hub", "regional", "hybrid"] = Field(
        "free", description="[-] hub: each product at one DC; regional: no transfers; hybrid: "
        "slow movers hub, fast movers regional; free: the optimiser chooses",
    )
    hybrid: HybridSettings = HybridSettings()
    inventory: InventorySettings = InventorySettings()
    facilities: FacilityCountSettings = FacilityCountSettings()
    unmet_demand: UnmetSettings = UnmetSettings()
    reductions: ReductionSettings = ReductionSettings()
    solver: SolverSettings = SolverSettings()
    forecast: ForecastSettings = ForecastSettings()
    segmentation: SegmentationSettings = SegmentationSettings()
    peak: PeakSettings = PeakSettings()
    extra_columns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="[-] per table, columns kept but not used, e.g. {customers: [population]}; "
        "any other unknown column is an error",
    )
    extra_tables: list[str] = Field(
        default_factory=list,
        description="[-] CSV files or sheets (by name, without .csv) kept but not read, e.g. "
        "[notes]; any other unknown table is an error",
    )

    @field_validator("name", "currency")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        return str(no_control(value))

    @field_validator("extra_columns")
    @classmethod
    def _known_tables(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(TABLES))
        if unknown:
            raise ValueError(f"table names as keys ({', '.join(TABLES)}); found {unknown}")
        return value


TABLES: dict[str, type[Row]] = {
    "products": ProductRow,
    "suppliers": SupplierRow,
    "supply": SupplyRow,
    "facilities": FacilityRow,
    "facility_options": FacilityOptionRow,
    "customers": CustomerRow,
    "demand": DemandRow,
    "modes": ModeRow,
    "lanes": LaneRow,
    "demand_history": DemandHistoryRow,
    "demand_profile": DemandProfileRow,
}
REQUIRED_TABLES = ("products", "facilities", "customers", "demand", "modes")
#: tables that are read as columns (vectorised checks) rather than row by row: they can be long
LONG_TABLES = ("demand_history",)
KEYS: dict[str, tuple[str, ...]] = {
    "products": ("product",),
    "suppliers": ("supplier",),
    "supply": ("supplier", "product"),
    "facilities": ("facility",),
    "facility_options": ("facility", "option"),
    "customers": ("customer",),
    "demand": ("customer", "product"),
    "modes": ("mode",),
    "lanes": ("origin", "destination", "mode"),
    "demand_history": ("customer", "product", "period"),
    "demand_profile": ("product", "month"),
}
