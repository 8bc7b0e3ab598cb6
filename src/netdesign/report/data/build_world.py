"""Rebuild ``world.json`` (developer tool; not imported by the package).

Source: Natural Earth 1:110m Cultural Vectors, Admin 0 – Countries (``ne_110m_admin_0_countries``),
public domain ("All versions of Natural Earth raster + vector map data found on this website are
in the public domain", naturalearthdata.com/about/terms-of-use). A copy ships in the
``geopandas`` 0.14 wheel on PyPI (``geopandas/datasets/naturalearth_lowres/``, the 110m countries
with name, ISO A3 code and continent); reading the shapefile needs ``pyshp``. Neither is a
dependency of netdesign: only the output is shipped.

    pip download --no-deps -d /tmp/ne geopandas==0.14.4 pyshp
    unzip /tmp/ne/geopandas-*.whl -d /tmp/ne/gp && unzip /tmp/ne/pyshp-*.whl -d /tmp/ne/s
    PYTHONPATH=/tmp/ne/s python build_world.py \\
        /tmp/ne/gp/geopandas/datasets/naturalearth_lowres/naturalearth_lowres

Processing: Antarctica dropped (no supply chain runs there); each ring simplified with
Douglas-Peucker at :data:`TOLERANCE` degrees (the routine of ``build_us_states.py``); rings
smaller than :data:`MIN_AREA` square degrees dropped, except the largest ring of each country;
coordinates rounded to 2 decimals (about 1 km).
"""

from __future__ import annotations

import json
import sys
from itertools import pairwise
from pathlib import Path

from build_us_states import _area, _simplify

TOLERANCE = 0.05
MIN_AREA = 0.05


def main(source: str, out: Path) -> None:
    import shapefile  # pyshp

    countries = []
    for item in shapefile.Reader(source).iterShapeRecords():
        rec = item.record.as_dict()
        if rec["continent"] == "Antarctica":
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
                kept.append([[round(x, 2), round(y, 2)] for x, y in simple])
        countries.append({"iso3": rec["iso_a3"], "name": rec["name"], "rings": kept})
    countries.sort(key=lambda c: c["name"])
    doc = {
        "source": "Natural Earth 1:110m Admin 0 - Countries (public domain), simplified "
        f"(Douglas-Peucker {TOLERANCE} deg, islands < {MIN_AREA} sq deg dropped)",
        "countries": countries,
    }
    out.write_text(json.dumps(doc, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1], Path(__file__).with_name("world.json"))
