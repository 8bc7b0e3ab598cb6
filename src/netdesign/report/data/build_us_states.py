"""Rebuild ``us_states.json`` (developer tool; not imported by the package).

Source: US Census Bureau cartographic boundary file ``cb_2016_us_state_500k`` (1:500,000 state
outlines, 2016), a work of the US federal government and so in the public domain. A copy ships in
the ``plotly-geo`` wheel on PyPI (``_plotly_geo/package_data/cb_2016_us_state_500k.*``); reading
the shapefile needs ``pyshp``. Neither is a dependency of netdesign: only the output is shipped.

    pip download --no-deps -d /tmp/pg plotly-geo pyshp
    unzip /tmp/pg/plotly_geo-*.whl -d /tmp/pg/x && unzip /tmp/pg/pyshp-*.whl -d /tmp/pg/s
    PYTHONPATH=/tmp/pg/s python build_us_states.py \
        /tmp/pg/x/_plotly_geo/package_data/cb_2016_us_state_500k

Processing: the 50 states and DC (territories dropped); each ring simplified with
Douglas-Peucker at :data:`TOLERANCE` degrees; rings smaller than :data:`MIN_AREA` square degrees
(small islands) dropped, except the largest ring of each state; coordinates rounded to 3 decimals.
"""

from __future__ import annotations

import json
import sys
from itertools import pairwise
from pathlib import Path

TOLERANCE = 0.02
MIN_AREA = 0.03
TERRITORIES = {"AS", "GU", "MP", "PR", "VI"}


def _simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, index = -1.0, -1
        for i in range(first + 1, last):
            x, y = points[i]
            if norm == 0:
                dist = ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            else:
                dist = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm
            if dist > best:
                best, index = dist, i
        if best > tol:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _area(ring: list[tuple[float, float]]) -> float:
    """Twice the shoelace area (square degrees)."""
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)))


def main(source: str, out: Path) -> None:
    import shapefile  # pyshp

    states = []
    for item in shapefile.Reader(source).iterShapeRecords():
        rec = item.record.as_dict()
        if rec["STUSPS"] in TERRITORIES:
            continue
        parts = [*item.shape.parts, len(item.shape.points)]
        rings = [[tuple(p) for p in item.shape.points[a:b]] for a, b in pairwise(parts)]
        rings.sort(key=_area, reverse=True)
        kept = []
        for i, ring in enumerate(rings):
            if i and _area(ring) / 2 < MIN_AREA:
                continue
            simple = _simplify(ring, TOLERANCE)
            if len(simple) >= 4:
                kept.append([[round(x, 3), round(y, 3)] for x, y in simple])
        states.append({"code": rec["STUSPS"], "name": rec["NAME"], "rings": kept})
    states.sort(key=lambda s: s["code"])
    doc = {
        "source": "US Census Bureau, cartographic boundary file cb_2016_us_state_500k "
        "(public domain), simplified (Douglas-Peucker "
        f"{TOLERANCE} deg, islands < {MIN_AREA} sq deg dropped)",
        "states": states,
    }
    out.write_text(json.dumps(doc, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1], Path(__file__).with_name("us_states.json"))
