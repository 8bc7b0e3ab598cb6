"""Places worldwide, offline: reading, ambiguity, write-back, and the maps they are drawn on.

Reference coordinates are the cities' published centres (Wikipedia, degrees and minutes); the
gazetteer's point for a city lies within a few km of it (GeoNames' centre of the place).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import tiny_spec_data
from netdesign.cli import app
from netdesign.gazetteer import AmbiguousPlace, GeocodeError, resolve
from netdesign.geo import geodesic_km
from netdesign.report import geo as mapgeo
from netdesign.validate import ModelValidationError, load_model
from test_real_exports import write_dialect

WIDE = {"COLUMNS": "250"}


def _dm(degrees: float, minutes: float) -> float:
    return degrees + minutes / 60 if degrees >= 0 else degrees - minutes / 60


@pytest.mark.parametrize(("place", "lat", "lon", "label"), [
    ("Hamburg, DE", _dm(53, 33), _dm(10, 0), "Hamburg, Germany"),
    ("Paris, FR", _dm(48, 51), _dm(2, 21), "Paris, France"),
    ("Tokyo, JP", _dm(35, 41), _dm(139, 41), "Tokyo, Japan"),
    ("Sao Paulo, BR", -_dm(23, 33), -_dm(46, 38), "São Paulo, Brazil"),
    ("Koeln, Germany", _dm(50, 56), _dm(6, 57), "Köln, Germany"),  # an alternate name
    ("Toronto, ON, CA", _dm(43, 44), -_dm(79, 23), "Toronto, ON, Canada"),
    ("Perth, WA", -_dm(31, 57), _dm(115, 51), "Perth, WA, Australia"),  # not Washington
])
def test_city_and_iso_country_worldwide(place: str, lat: float, lon: float, label: str):
    found = resolve(place)
    assert found.label() == label
    assert geodesic_km((found.lat, found.lon), (lat, lon)) < 15


@pytest.mark.parametrize(("written", "same_as"), [
    ("Ft Worth, TX", "Fort Worth, TX"),
    ("Mt Pleasant, SC", "Mount Pleasant, SC"),
    ("N Las Vegas, NV", "North Las Vegas, NV"),
    ("St Louis, MO", "Saint Louis, MO"),
    ("Fort Worth, Texas", "Fort Worth, TX"),
    ("winston salem, nc", "Winston-Salem, NC"),
    ("2903", "02903"),  # a ZIP whose leading zero a spreadsheet dropped
    ("50309-1234", "50309"),  # ZIP+4
    ("Providence, RI 02903", "02903"),
])
def test_abbreviations_full_state_names_and_us_postal_codes(written: str, same_as: str):
    """Before: each of the written forms failed with no suggestion."""
    a, b = resolve(written), resolve(same_as)
    assert (a.lat, a.lon) == (b.lat, b.lon)


def test_a_restored_leading_zero_is_said():
    assert resolve("2903").source == "USPS ZIP 02903 (read as 02903: a lost leading zero)"


def test_country_codes_and_us_states_never_collide_silently():
    """Before: ``Windsor, CA`` landed in California (and ``Hamburg, DE`` in Delaware)."""
    with pytest.raises(AmbiguousPlace) as info:
        resolve("Windsor, CA")
    labels = {p.label() for p in info.value.candidates}
    assert {"Windsor, CA, US", "Windsor, ON, Canada"} <= labels
    assert resolve("Windsor, CA", "US").label() == "Windsor, CA, US"
    assert resolve("Windsor, CA, US").label() == "Windsor, CA, US"
    assert resolve("Windsor, ON").label() == "Windsor, ON, Canada"
    assert resolve("Hamburg, DE").country == "DE"
    assert resolve("Newark, DE").label() == "Newark, DE, US"  # Germany has no Newark


def test_unknown_places_suggest_close_names():
    with pytest.raises(GeocodeError) as info:
        resolve("Sprngfield, IL")
    assert info.value.suggestions == ("Springfield, IL, US",)


def test_an_unwritable_cache_folder_only_costs_time(tmp_path: Path, monkeypatch):
    import netdesign.gazetteer as gazetteer

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("NETDESIGN_CACHE_DIR", str(blocker / "cache"))
    gazetteer._primary.cache_clear()
    gazetteer.resolve.cache_clear()
    try:
        assert resolve("Hamburg, DE").label() == "Hamburg, Germany"
    finally:
        gazetteer._primary.cache_clear()
        gazetteer.resolve.cache_clear()


# -- in a model --------------------------------------------------------------------------------


def test_an_ambiguous_location_is_a_problem_listing_the_candidates(tmp_path: Path):
    spec = tiny_spec_data()
    spec.settings["service"] = {"max_days": 5}
    spec.set("customers", 2, "location", "Windsor, CA")
    with pytest.raises(ModelValidationError) as info:
        load_model(spec.write(tmp_path / "m"))
    [problem] = [str(p) for p in info.value.problems]
    assert problem.startswith("customers:2:location: 'Windsor, CA' is ambiguous: ")
    assert "Windsor, ON, Canada (42.300, -83.017" in problem
    assert "Windsor, CA, US (38.547, -122.816" in problem
    assert problem.endswith("expected one place: write 'City, ST, CC', fill the country "
                            "column, or give lat and lon")
    spec.set("customers", 2, "country", "US")
    data = load_model(spec.write(tmp_path / "fixed"))
    place = data.places.set_index("id").loc["C1"]
    assert place["place"] == "Windsor, CA, US" and place["country"] == "US"


def _european_spec():
    spec = tiny_spec_data()
    for line, place in ((2, "Hamburg, DE"), (3, "Paris, FR"), (4, "Milano, IT")):
        spec.set("customers", line, "location", place)
    spec.set("facilities", 2, "location", "Frankfurt am Main, DE")
    spec.set("facilities", 3, "location", "Lyon, FR")
    spec.set("facilities", 4, "lat", "50.85").set("facilities", 4, "lon", "4.35")  # Brussels
    spec.settings["service"] = {"max_days": 4}
    return spec


def test_info_shows_the_places_it_found(tmp_path: Path):
    """Before: resolved coordinates were shown nowhere."""
    folder = _european_spec().write(tmp_path / "eu")
    result = CliRunner().invoke(app, ["info", str(folder)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "5 place(s) geocoded from location" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "Hamburg, DE" in line)
    assert "53.5507" in row and "9.9930" in row and "Hamburg, Germany" in row


def test_geocode_writes_lat_lon_back_in_the_files_dialect(tmp_path: Path):
    plain = load_model(_european_spec().write(tmp_path / "plain"))
    folder = write_dialect(_european_spec(), tmp_path / "export", ";", "cp1252", ",")
    result = CliRunner().invoke(app, ["geocode", str(folder)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "wrote lat/lon of 3 place(s) into customers.csv" in result.stdout
    text = (folder / "customers.csv").read_bytes().decode("cp1252")
    assert text.splitlines()[1].startswith("C1;Hamburg, DE;")
    assert ";53,550730;9,993020" in text  # semicolons and decimal commas kept
    again = load_model(folder)
    assert again.places.empty  # every place has its lat/lon now
    for table in ("customers", "facilities"):
        np.testing.assert_allclose(again.table(table)[["lat", "lon"]].to_numpy(dtype=float),
                                   plain.table(table)[["lat", "lon"]].to_numpy(dtype=float),
                                   atol=1e-6)


def test_geocode_a_workbook_sets_only_lat_lon(tmp_path: Path):
    from openpyxl import load_workbook

    from netdesign.io import convert

    book = convert(_european_spec().write(tmp_path / "eu"), tmp_path / "eu.xlsx")
    before = load_workbook(book)["customers"]
    result = CliRunner().invoke(app, ["geocode", str(book)], env=WIDE)
    assert result.exit_code == 0, result.output
    after = load_workbook(book)["customers"]
    header = [c.value for c in after[1]]
    assert header[: before.max_column] == [c.value for c in before[1]]
    lat = header.index("lat") + 1
    assert after.cell(row=2, column=lat).value == pytest.approx(53.55073)
    assert after.cell(row=2, column=header.index("location") + 1).value == "Hamburg, DE"
    assert load_model(book).places.empty


# -- maps ------------------------------------------------------------------------------------------


def test_shipped_world_outlines():
    countries = mapgeo.countries()
    assert len(countries) > 170 and {"DEU", "FRA", "USA", "BRA", "JPN"} <= {
        c["iso3"] for c in countries}
    assert "Natural Earth" in mapgeo.source(mapgeo.MapView(world=True))
    assert "public domain" in mapgeo.source(mapgeo.MapView(world=True))


def test_lambert_azimuthal_against_snyder():
    """Snyder (1987), Map Projections — A Working Manual, p. 333: sphere R = 3, centre 40°N
    100°W, point 20°S 100°E → x = −4.2339303, y = 4.0257775."""
    x, y = mapgeo.lambert_azimuthal(-20.0, 100.0, 40.0, -100.0)
    assert x / mapgeo.R_KM * 3 == pytest.approx(-4.2339303, abs=1e-6)
    assert y / mapgeo.R_KM * 3 == pytest.approx(4.0257775, abs=1e-6)


def test_maps_choose_us_states_or_world_outlines():
    us = mapgeo.view_for([40.75, 25.77, 47.61, 21.31], [-73.99, -80.19, -122.33, -157.86])
    assert not us.world  # coastal cities and Hawaii are in the US
    eu = mapgeo.view_for([53.55, 48.86, 45.46], [9.99, 2.35, 9.19])
    assert eu.world and 45 < eu.lat0 < 55 and 2 < eu.lon0 < 10
    xs, _ = eu.outline_xy(np.array([53.55, 48.86, 45.46]), np.array([9.99, 2.35, 9.19]))
    assert None in xs and len(xs) > 500
    x, y = eu.project([eu.lat0], [eu.lon0])
    assert abs(x[0]) < 1e-6 and abs(y[0]) < 1e-6
    assert mapgeo.view_for([43.65, 45.50], [-79.38, -73.57]).world  # Toronto and Montreal


def test_a_report_of_a_european_network_draws_countries(tmp_path: Path):
    """Before: the report's maps showed US state outlines only."""
    from netdesign.report import write_report
    from netdesign.study import run_study

    model = _european_spec().write(tmp_path / "eu")
    study = run_study(model, [], tmp_path / "study", workers=1)
    html_path, _ = write_report(study, model=model)
    text = html_path.read_text()
    assert "Country outlines: Natural Earth" in text
    assert "Lambert azimuthal equal-area projection" in text
    assert '"name": "countries"' in text or '"name":"countries"' in text
    assert '"name": "states"' not in text and '"name":"states"' not in text
