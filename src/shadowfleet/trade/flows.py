"""Trade flows and the estimate of one flow: tonnes, value, voyages, turnaround.

Shipments (:mod:`shadowfleet.trade.voyages`) are summed by origin country and port,
destination country and port, month of loading and commodity. Low and high are sums of
the shipments' lows and highs (the bounds of a flow assume the errors of its shipments
go the same way — the hull coefficients of one fleet are alike — so they are wide, not
a confidence interval). Value = tonnes × the price band: low × the lower price, high ×
the higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from shadowfleet.schemas import TRADE_FLOWS, conform

_GROUP = ("origin_country", "origin_port", "destination_country", "destination_port", "month", "commodity")


def trade_flows(
    shipments: pl.DataFrame, prices_usd_per_t: dict[str, tuple[float, float]] | None = None
) -> pl.DataFrame:
    """Shipments summed into the ``trade_flows`` table.

    Args:
        shipments: The ``shipments`` table; only those discharged somewhere known count.
        prices_usd_per_t: (low, high) US$ per tonne by commodity; flows of other
            commodities have no value.

    Returns:
        One row per origin, destination, month and commodity.
    """
    prices = prices_usd_per_t or {}
    delivered = shipments.filter(
        pl.col("destination_country").is_not_null()
        & pl.col("tonnes_mid").is_not_null()
        & (pl.col("destination_kind") != "arrived")
    )
    flows = (
        delivered.with_columns(pl.col("load_end").dt.truncate("1mo").dt.date().alias("month"))
        .group_by(*_GROUP)
        .agg(
            pl.len().cast(pl.Int64).alias("voyages"),
            pl.col("tonnes_low").sum(),
            pl.col("tonnes_mid").sum(),
            pl.col("tonnes_high").sum(),
        )
        .with_columns(
            (
                pl.col("tonnes_low")
                * pl.col("commodity").replace_strict(
                    {k: v[0] for k, v in prices.items()}, default=None, return_dtype=pl.Float64
                )
            ).alias("value_usd_low"),
            (
                pl.col("tonnes_high")
                * pl.col("commodity").replace_strict(
                    {k: v[1] for k, v in prices.items()}, default=None, return_dtype=pl.Float64
                )
            ).alias("value_usd_high"),
        )
    )
    return conform(flows, TRADE_FLOWS).sort(
        "month", "origin_country", "destination_country", "origin_port", "destination_port", nulls_last=True
    )


def _price(prices: dict[str, tuple[float, float]], end: int) -> pl.Expr:
    """The low (0) or high (1) price of each row's commodity; null when none was given."""
    lookup = {commodity: band[end] for commodity, band in prices.items()}
    return pl.col("commodity").replace_strict(lookup, default=None, return_dtype=pl.Float64)


@dataclass(frozen=True)
class TradeEstimate:
    """The estimate of one flow (what ``shadowfleet estimate trade`` prints).

    Attributes:
        origin_country: ISO 3166-1 alpha-2.
        destination_country: ISO 3166-1 alpha-2.
        commodity: The declared commodity.
        price_usd_per_t: (low, high) US$ per tonne.
        shipments: The flow's shipments, sorted by loading time.
        unknown_origin: Shipments discharged in the destination whose loading was not
            seen (not counted; listed for the analyst).
        arrived: Cargo of unknown size whose ship reached the destination and was still
            there when the data end (not counted: its discharge was not seen).
    """

    origin_country: str
    destination_country: str
    commodity: str
    price_usd_per_t: tuple[float, float]
    shipments: pl.DataFrame
    unknown_origin: pl.DataFrame
    arrived: pl.DataFrame

    def tonnes(self) -> dict[str, float]:
        """Tonnes low, mid, high."""
        return {k: float(self.shipments[f"tonnes_{k}"].sum()) for k in ("low", "mid", "high")}

    def value_usd(self) -> dict[str, float]:
        """Value low and high, US$."""
        tonnes = self.tonnes()
        return {"low": tonnes["low"] * self.price_usd_per_t[0], "high": tonnes["high"] * self.price_usd_per_t[1]}

    def vessels(self) -> list[str]:
        """Every vessel that loaded or carried the flow's cargo."""
        names = set(self.shipments["loaded_by"].drop_nulls()) | set(self.shipments["carrier"].drop_nulls())
        for via in self.shipments["via_vessels"].drop_nulls():
            names.update(via.split(","))
        return sorted(names)

    def by_month(self) -> list[dict[str, Any]]:
        """Voyages, tonnes and value per month of loading."""
        months = (
            self.shipments.with_columns(pl.col("load_end").dt.strftime("%Y-%m").alias("month"))
            .group_by("month")
            .agg(
                pl.len().alias("voyages"),
                pl.col("tonnes_low").sum(),
                pl.col("tonnes_mid").sum(),
                pl.col("tonnes_high").sum(),
            )
            .sort("month")
        )
        return [
            {
                "month": row["month"],
                "voyages": row["voyages"],
                "tonnes": {"low": row["tonnes_low"], "mid": row["tonnes_mid"], "high": row["tonnes_high"]},
                "value_usd": {
                    "low": row["tonnes_low"] * self.price_usd_per_t[0],
                    "high": row["tonnes_high"] * self.price_usd_per_t[1],
                },
            }
            for row in months.iter_rows(named=True)
        ]

    def turnaround(self) -> list[dict[str, Any]]:
        """Turnaround per route pattern (``direct``, ``ship_to_ship``).

        Shipments, tonnes, median days from the end of loading to the end of discharge,
        and median days between one vessel's consecutive loadings at the origin (its
        round trip).
        """
        shipments = self.shipments.with_columns(
            ((pl.col("discharge_end") - pl.col("load_end")).dt.total_seconds() / 86_400).alias("transit_d")
        )
        cycles = shipments.sort("loaded_by", "load_end").with_columns(
            ((pl.col("load_end") - pl.col("load_end").shift(1).over("loaded_by")).dt.total_seconds() / 86_400).alias(
                "round_trip_d"
            )
        )
        out = []
        for pattern in ("direct", "ship_to_ship"):
            rows = cycles.filter(pl.col("pattern") == pattern)
            out.append(
                {
                    "pattern": pattern,
                    "voyages": rows.height,
                    "tonnes_mid": float(rows["tonnes_mid"].sum()),
                    "median_transit_days": _median(rows["transit_d"]),
                    "median_round_trip_days": _median(rows["round_trip_d"]),
                }
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """Everything, as JSON-ready values.

        Keys: ``tonnes``, ``value_usd``, ``voyages``, ``vessels``, ``by_month``,
        ``turnaround``, ``shipments``, ``unknown_origin``, ``arrived_not_discharged``
        and the query's own.
        """
        return {
            "origin_country": self.origin_country,
            "destination_country": self.destination_country,
            "commodity": self.commodity,
            "price_usd_per_t": {"low": self.price_usd_per_t[0], "high": self.price_usd_per_t[1]},
            "tonnes": self.tonnes(),
            "value_usd": self.value_usd(),
            "voyages": self.shipments.height,
            "vessels": len(self.vessels()),
            "vessel_ids": self.vessels(),
            "by_month": self.by_month(),
            "turnaround": self.turnaround(),
            "shipments": _records(self.shipments),
            "arrived_not_discharged": {
                "voyages": self.arrived.height,
                "tonnes_mid": float(self.arrived["tonnes_mid"].sum()),
                "shipments": _records(self.arrived),
            },
            "unknown_origin": {
                "voyages": self.unknown_origin.height,
                "tonnes_mid": float(self.unknown_origin["tonnes_mid"].sum()),
                "shipments": _records(self.unknown_origin),
            },
        }


def _median(values: pl.Series) -> float | None:
    kept = values.drop_nulls()
    return None if kept.is_empty() else round(float(kept.median()), 2)  # type: ignore[arg-type]


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    # Times in UTC as ISO 8601 with "Z", as everywhere else shadowfleet writes JSON.
    return [
        {k: (v.isoformat().replace("+00:00", "Z") if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in frame.iter_rows(named=True)
    ]


def estimate_trade(
    shipments: pl.DataFrame,
    origin_country: str,
    destination_country: str,
    commodity: str,
    price_usd_per_t: tuple[float, float],
) -> TradeEstimate:
    """The estimate of one flow from the ``shipments`` table.

    Args:
        shipments: The ``shipments`` table.
        origin_country: ISO 3166-1 alpha-2 of the loading ports.
        destination_country: ISO 3166-1 alpha-2 of the discharge ports.
        commodity: The commodity declared for the flow (AIS does not carry it).
        price_usd_per_t: (low, high) US$ per tonne.
    """
    origin, destination = origin_country.upper(), destination_country.upper()
    bound = shipments.filter(
        (pl.col("origin_country") == origin)
        & (pl.col("destination_country") == destination)
        & pl.col("tonnes_mid").is_not_null()
    ).with_columns(pl.lit(commodity).alias("commodity"))
    arrived = pl.col("destination_kind") == "arrived"
    unknown = shipments.filter(pl.col("origin_country").is_null() & (pl.col("destination_country") == destination))
    return TradeEstimate(
        origin,
        destination,
        commodity,
        price_usd_per_t,
        bound.filter(~arrived).sort("load_end"),
        unknown.sort("load_end"),
        bound.filter(arrived).sort("load_end"),
    )
