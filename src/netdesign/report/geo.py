"""Map geometry: shipped outlines and equal-area projections, chosen by where the network is.

A network whose every place lies in a US state is drawn on the state outlines
(``data/us_states.json``: US Census Bureau ``cb_2016_us_state_500k``, public domain, simplified by
``data/build_us_states.py``) in the Albers equal-area conic of the contiguous US. Any other
network is drawn on country outlines (``data/world.json``: Natural Earth 1:110m Admin 0,
public domain, simplified by ``data/build_world.py``) in a Lambert azimuthal equal-area
projection centred on its places. Everything is projected here, in Python, so the map is a plain
Plotly ``scatter`` on x/y kilometres: no map tiles, no topojson fetched by the browser.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
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


@cache
def countries() -> list[dict]:
    """[{iso3, name, rings: [[[lon, lat], …], …]}, …], every country but Antarctica."""
    return json.loads((DATA / "world.json").read_text())["countries"]


def source(view: MapView | None = None) -> str:
    name = "world.json" if view is not None and view.world else "us_states.json"
    return json.loads((DATA / name).read_text())["source"]


@dataclass(frozen=True)
class MapView:
    """How one network is drawn: US states (Albers) or countries (Lambert azimuthal centred at
    ``lat0``, ``lon0``)."""

    world: bool = False
    lat0: float = LAT0
    lon0: float = LON0

    @property
    def projection(self) -> str:
        return ("Lambert azimuthal equal-area projection" if self.world
                else "Albers equal-area projection")

    def project(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        if self.world:
            return lambert_azimuthal(lat, lon, self.lat0, self.lon0)
        return project(lat, lon)

    def outline_xy(self, lat: np.ndarray, lon: np.ndarray) -> tuple[list, list]:
        return world_outline_xy(lat, lon, self) if self.world else outline_xy(lat, lon)


def view_for(lat, lon) -> MapView:
    """US states when every point lies in one (point in polygon), else the world centred on the
    points (the direction of the mean of their unit vectors)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if len(lat) == 0 or in_us(lat, lon).all():
        return MapView()
    phi, lam = np.radians(lat), np.radians(lon)
    v = np.array([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]).sum(axis=1)
    lat0 = math.degrees(math.atan2(v[2], math.hypot(v[0], v[1])))
    lon0 = math.degrees(math.atan2(v[1], v[0])) if math.hypot(v[0], v[1]) > 1e-9 else 0.0
    return MapView(world=True, lat0=lat0, lon0=lon0)


#: a point this close to a state outline counts as inside (the outlines are simplified: a port
#: or a coastal city may lie just outside them)
US_BUFFER_KM = 50.0


def in_us(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Which points lie inside a US state outline (even-odd ray casting over every ring) or
    within :data:`US_BUFFER_KM` of one."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    inside = np.zeros(len(lat), dtype=bool)
    near = np.full(len(lat), np.inf)
    for state in states():
        for ring in state["rings"]:
            arr = np.asarray(ring, dtype=float)
            inside |= _in_ring(arr, lon, lat)
            near = np.minimum(near, _km_to_ring(arr, lat, lon))
    return inside | (near <= US_BUFFER_KM)


def _km_to_ring(ring: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Distance (km, local equirectangular) from each point to the nearest edge of a ring."""
    scale = np.cos(np.radians(lat))[:, None]
    ax, ay = ring[:-1, 0][None, :] * scale, ring[:-1, 1][None, :]
    bx, by = ring[1:, 0][None, :] * scale, ring[1:, 1][None, :]
    px, py = (lon[:, None] * scale), lat[:, None]
    dx, dy = bx - ax, by - ay
    length = np.maximum(dx * dx + dy * dy, 1e-18)
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / length, 0.0, 1.0)
    dist = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
    return np.radians(dist.min(axis=1)) * R_KM


def _in_ring(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x1, y1 = ring[:-1, 0][:, None], ring[:-1, 1][:, None]
    x2, y2 = ring[1:, 0][:, None], ring[1:, 1][:, None]
    crosses = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return ((crosses & (x < at)).sum(axis=0) % 2).astype(bool)


def lambert_azimuthal(lat, lon, lat0: float, lon0: float) -> tuple[np.ndarray, np.ndarray]:
    """Lambert azimuthal equal-area (Snyder 1987, eq. 24-2…24-4, sphere) → x, y in km."""
    phi, lam = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    phi1, lam0 = math.radians(lat0), math.radians(lon0)
    cos_c = math.sin(phi1) * np.sin(phi) + math.cos(phi1) * np.cos(phi) * np.cos(lam - lam0)
    k = np.sqrt(2.0 / np.maximum(1.0 + cos_c, 1e-12))
    x = R_KM * k * np.cos(phi) * np.sin(lam - lam0)
    y = R_KM * k * (math.cos(phi1) * np.sin(phi)
                    - math.sin(phi1) * np.cos(phi) * np.cos(lam - lam0))
    return x, y


#: countries within this many degrees of the network's bounding box are drawn
WORLD_MARGIN = 12.0
#: outline points farther than this (degrees of arc) from the centre are not drawn
WORLD_HORIZON = 100.0


def world_outline_xy(lat: np.ndarray, lon: np.ndarray, view: MapView) -> tuple[list, list]:
    """x, y lists (rings separated by None) of the countries near the points."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    lo_lat, hi_lat = lat.min() - WORLD_MARGIN, lat.max() + WORLD_MARGIN
    lo_lon, hi_lon = lon.min() - WORLD_MARGIN, lon.max() + WORLD_MARGIN
    horizon = math.cos(math.radians(WORLD_HORIZON))
    phi1, lam0 = math.radians(view.lat0), math.radians(view.lon0)
    xs: list = []
    ys: list = []
    for country in countries():
        for ring in country["rings"]:
            arr = np.asarray(ring, dtype=float)
            near = ((arr[:, 1] >= lo_lat) & (arr[:, 1] <= hi_lat) & (arr[:, 0] >= lo_lon)
                    & (arr[:, 0] <= hi_lon)).any()
            phi, lam = np.radians(arr[:, 1]), np.radians(arr[:, 0])
            cos_c = math.sin(phi1) * np.sin(phi) + math.cos(phi1) * np.cos(phi) * np.cos(
                lam - lam0)
            if not near or (cos_c < horizon).any():
                continue
            x, y = view.project(arr[:, 1], arr[:, 0])
            xs += [*np.round(x, 1).tolist(), None]
            ys += [*np.round(y, 1).tolist(), None]
    return xs, ys


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
