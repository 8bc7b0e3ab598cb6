"""Map geometry: shipped US state outlines and an Albers equal-area projection.

The outlines (``data/us_states.json``) are the US Census Bureau cartographic boundary file
``cb_2016_us_state_500k`` (public domain), simplified by ``data/build_us_states.py``. Everything is
projected here, in Python, so the map is a plain Plotly ``scatter`` on x/y kilometres: no map tiles,
no topojson fetched by the browser.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).with_name("data")
R_KM = 6371.0
# Albers equal-area conic for the contiguous US (USGS standard parallels)
LAT1, LAT2, LAT0, LON0 = 29.5, 45.5, 37.5, -96.0
CONTIGUOUS_EXCLUDE = {"AK", "HI"}


@cache
def states() -> list[dict]:
    """[{code, name, rings: [[[lon, lat], …], …]}, …] for the 50 states and DC."""
    return json.loads((DATA / "us_states.json").read_text())["states"]


def source() -> str:
    return json.loads((DATA / "us_states.json").read_text())["source"]


def project(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Albers equal-area conic (Snyder 1987, eq. 14-1…14-4) → x, y in km."""
    phi1, phi2, phi0 = (math.radians(v) for v in (LAT1, LAT2, LAT0))
    n = (math.sin(phi1) + math.sin(phi2)) / 2
    c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
    rho0 = math.sqrt(c - 2 * n * math.sin(phi0)) / n
    phi = np.radians(np.asarray(lat, dtype=float))
    theta = n * np.radians(np.asarray(lon, dtype=float) - LON0)
    rho = np.sqrt(c - 2 * n * np.sin(phi)) / n
    return R_KM * rho * np.sin(theta), R_KM * (rho0 - rho * np.cos(theta))


def outline_xy(points_lat: np.ndarray, points_lon: np.ndarray) -> tuple[list, list]:
    """x, y lists (rings separated by None) of the states to draw: the contiguous US plus any
    state (Alaska, Hawaii) whose bounding box holds one of the given points."""
    xs: list = []
    ys: list = []
    for state in states():
        if state["code"] in CONTIGUOUS_EXCLUDE and not _holds_any(state, points_lat, points_lon):
            continue
        for ring in state["rings"]:
            arr = np.asarray(ring, dtype=float)
            x, y = project(arr[:, 1], arr[:, 0])
            xs += [*np.round(x, 1).tolist(), None]
            ys += [*np.round(y, 1).tolist(), None]
    return xs, ys


def _holds_any(state: dict, lat: np.ndarray, lon: np.ndarray) -> bool:
    if len(lat) == 0:
        return False
    coords = np.concatenate([np.asarray(r, dtype=float) for r in state["rings"]])
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    inside = (lon >= lo[0]) & (lon <= hi[0]) & (lat >= lo[1]) & (lat <= hi[1])
    return bool(inside.any())
