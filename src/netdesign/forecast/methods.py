"""The forecasting methods, all from statsforecast (Nixtla), on monthly series.

* ``moving_average``: ``WindowAverage(3)``, the mean of the last 3 months (level series; 3
  training months);
* ``seasonal_naive``: ``SeasonalNaive(12)``, the same month last year (stable seasons; 12);
* ``ets``: ``AutoETS(12)``, error/trend/season chosen by AICc (Hyndman, Koehler, Ord & Snyder
  2008, *Forecasting with Exponential Smoothing*; trend and season; 24);
* ``croston``: ``CrostonClassic``, SES (α = 0.1) of demand sizes over SES of intervals (Croston
  1972; intermittent; 3);
* ``tsb``: ``TSB(0.1, 0.1)``, SES of size × SES of occurrence (Teunter, Syntetos & Babai 2011;
  intermittent with obsolescence; 3);
* ``adida``: ``ADIDA``, aggregate to the mean interval, SES, spread back (Nikolopoulos et al.
  2011; intermittent; 3).

ETS is fit on product × region aggregates only: at about 50 ms a fit (measured here, statsforecast
2.1, one core) a backtest with 4 origins over the demo's 5,504 customer series would take over
20 minutes; the cheap methods run on every customer series.
"""

from __future__ import annotations

SEASON = 12  # months

#: training months a method needs before its first forecast
MIN_TRAIN: dict[str, int] = {
    "moving_average": 3,
    "seasonal_naive": SEASON,
    "ets": 2 * SEASON,
    "croston": 3,
    "tsb": 3,
    "adida": 3,
}
METHODS = tuple(MIN_TRAIN)
#: methods cheap enough for every customer × product series
SERIES_METHODS = ("moving_average", "seasonal_naive", "croston", "tsb", "adida")


def models(names: list[str] | tuple[str, ...]) -> list:
    """statsforecast model objects, aliased by our method names."""
    from statsforecast.models import (
        ADIDA,
        TSB,
        AutoETS,
        CrostonClassic,
        SeasonalNaive,
        WindowAverage,
    )

    make = {
        "moving_average": lambda: WindowAverage(window_size=3, alias="moving_average"),
        "seasonal_naive": lambda: SeasonalNaive(season_length=SEASON, alias="seasonal_naive"),
        "ets": lambda: AutoETS(season_length=SEASON, alias="ets"),
        "croston": lambda: CrostonClassic(alias="croston"),
        "tsb": lambda: TSB(alpha_d=0.1, alpha_p=0.1, alias="tsb"),
        "adida": lambda: ADIDA(alias="adida"),
    }
    return [make[name]() for name in names]


def eligible(names: tuple[str, ...], train_months: int) -> tuple[str, ...]:
    """The methods of ``names`` that a series with ``train_months`` before its first origin fits."""
    return tuple(n for n in names if MIN_TRAIN[n] <= train_months)


def required_months(method: str, backtest_months: int) -> int:
    """Shortest history for ``method`` (``auto``: the least demanding) with one backtest origin."""
    need = min(MIN_TRAIN.values()) if method == "auto" else MIN_TRAIN[method]
    return need + backtest_months
