"""Screen vessels against designated vessels: who is listed, and under which identity.

Every identity a vessel ever broadcast (``identities`` periods: MMSI, IMO, name, call
sign) is compared with every merged list entry (:func:`shadowfleet.sanctions.lists.
merge_entries`), so a renamed or reflagged hull is still found:

* ``imo`` — the IMO number is the hull's for life: the strongest match (score 1.0);
* ``mmsi`` — an MMSI the list gives, for the period the vessel used it (0.9: MMSIs
  are reissued after a ship leaves a flag);
* ``call_sign`` — a call sign the list gives (0.8: reissued too);
* ``name`` — the name, or any former name, against the entry's names and aliases,
  normalised (case, punctuation, ``M/V``-style prefixes) and compared with rapidfuzz's
  ratio; at least ``name_min_similarity`` and then scored ``name_weight`` × similarity:
  always weaker than an identifier, since names repeat across fleets. A name match is
  dropped when the vessel broadcast an IMO number in that period and the entry has a
  different one (two hulls sharing a name).

One row per (vessel, entry, basis); :func:`best_matches` keeps each vessel-entry pair's
strongest basis and lists the others.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from shadowfleet.config import ScreeningConfig
from shadowfleet.schemas import SANCTIONS_MATCHES

MATCHES: Final = SANCTIONS_MATCHES
"""One way a vessel matches a list entry (the ``sanctions_matches`` table)."""

_PREFIX = re.compile(r"^(M\s*/?\s*[VT]|MV|MT|SS|FV)\.?\s+")


def normalise_name(name: str | None) -> str:
    """A ship name for comparison: upper case, no punctuation, no ``M/V``-style prefix."""
    if not name:
        return ""
    text = re.sub(r"[^A-Z0-9 ]+", " ", name.upper())
    text = re.sub(r"\s+", " ", text).strip()
    return _PREFIX.sub("", text).strip()


def _normalise_call_sign(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def _exact(
    identities: pl.DataFrame, entries: pl.DataFrame, column: str, listed: str, basis: str, score: float
) -> pl.DataFrame:
    """Matches where an identity's ``column`` equals one of an entry's ``listed`` values."""
    left = identities.filter(pl.col(column).is_not_null()).select(
        "vessel_id", pl.col(column).alias("_value"), "valid_from", "valid_to"
    )
    right = entries.select("key", "lists", "entry_ids", pl.col("name").alias("listed_name"), pl.col(listed))
    if isinstance(right.schema[listed], pl.List):
        right = right.explode(listed)
    right = right.filter(pl.col(listed).is_not_null()).rename({listed: "_value"})
    return left.join(right, on="_value", how="inner").select(
        "vessel_id",
        "key",
        "lists",
        "entry_ids",
        "listed_name",
        pl.lit(basis).alias("matched_on"),
        pl.col("_value").cast(pl.String).alias("matched_value"),
        pl.col("_value").cast(pl.String).alias("listed_value"),
        pl.lit(score).alias("score"),
        "valid_from",
        "valid_to",
    )


def _by_name(identities: pl.DataFrame, entries: pl.DataFrame, config: ScreeningConfig) -> pl.DataFrame:
    """Fuzzy matches of every broadcast name against every listed name and alias."""
    vessel_names = (
        identities.filter(pl.col("name").is_not_null())
        .select("vessel_id", "name", pl.col("imo").alias("_our_imo"), "valid_from", "valid_to")
        .with_columns(pl.col("name").map_elements(normalise_name, return_dtype=pl.String).alias("_norm"))
        .filter(pl.col("_norm").str.len_chars() >= config.name_min_length)
    )
    listed = (
        entries.select(
            "key", "lists", "entry_ids", pl.col("name").alias("listed_name"), "names", pl.col("imo").alias("_their_imo")
        )
        .explode("names")
        .filter(pl.col("names").is_not_null())
        .with_columns(pl.col("names").map_elements(normalise_name, return_dtype=pl.String).alias("_norm"))
        .filter(pl.col("_norm").str.len_chars() >= config.name_min_length)
    )
    if vessel_names.is_empty() or listed.is_empty():
        return pl.DataFrame(schema=MATCHES)
    ours = vessel_names["_norm"].unique().to_list()
    theirs = listed["_norm"].unique().to_list()
    # One similarity matrix over distinct names (thousands × hundreds), not per pair of rows.
    similarity = process.cdist(
        ours, theirs, scorer=fuzz.ratio, score_cutoff=config.name_min_similarity, dtype=np.uint8, workers=1
    )
    rows, cols = np.nonzero(similarity)
    if rows.size == 0:
        return pl.DataFrame(schema=MATCHES)
    pairs = pl.DataFrame(
        {
            "_ours": [ours[i] for i in rows],
            "_theirs": [theirs[j] for j in cols],
            "_similarity": similarity[rows, cols].astype(np.float64),
        }
    )
    # An IMO number on both sides that differs says these are two hulls with one name.
    contradicted = pl.col("_our_imo").is_not_null() & pl.col("_their_imo").is_not_null()
    contradicted = contradicted & (pl.col("_our_imo") != pl.col("_their_imo"))
    return (
        vessel_names.join(pairs, left_on="_norm", right_on="_ours")
        .join(listed.rename({"_norm": "_theirs"}), on="_theirs")
        .filter(~contradicted)
        .select(
            "vessel_id",
            "key",
            "lists",
            "entry_ids",
            "listed_name",
            pl.lit("name").alias("matched_on"),
            pl.col("name").alias("matched_value"),
            pl.col("names").alias("listed_value"),
            (config.name_weight * pl.col("_similarity") / 100.0).round(3).alias("score"),
            "valid_from",
            "valid_to",
        )
    )


def screen_vessels(identities: pl.DataFrame, entries: pl.DataFrame, config: ScreeningConfig) -> pl.DataFrame:
    """Every way each vessel matches a list entry (see the module notes).

    Args:
        identities: The ``identities`` table (one row per identity period).
        entries: Merged list entries (:func:`shadowfleet.sanctions.lists.merge_entries`).
        config: Screening configuration.

    Returns:
        Rows of :data:`MATCHES`, strongest first.
    """
    if identities.is_empty() or entries.is_empty():
        return pl.DataFrame(schema=MATCHES)
    ids = identities.with_columns(
        _normalise_call_sign(pl.col("call_sign")).alias("call_sign"), pl.col("vessel_id").cast(pl.String)
    )
    listed = entries.with_columns(pl.col("call_signs").list.eval(_normalise_call_sign(pl.element())))
    parts = [
        _exact(ids, listed, "imo", "imo", "imo", config.imo_score),
        _exact(ids, listed, "mmsi", "mmsis", "mmsi", config.mmsi_score),
        _exact(
            ids.filter(pl.col("call_sign").str.len_chars() >= config.call_sign_min_length),
            listed,
            "call_sign",
            "call_signs",
            "call_sign",
            config.call_sign_score,
        ),
        _by_name(ids, listed, config),
    ]
    parts = [p.select(list(MATCHES)).cast(MATCHES) for p in parts if p.height]  # type: ignore[arg-type]
    if not parts:
        return pl.DataFrame(schema=MATCHES)
    return (
        pl.concat(parts)
        .unique(["vessel_id", "key", "matched_on", "matched_value", "listed_value"], keep="first")
        .sort(["score", "vessel_id", "key"], descending=[True, False, False])
    )


def best_matches(matches: pl.DataFrame) -> pl.DataFrame:
    """One row per (vessel, entry): the strongest basis, with every basis listed.

    Returns:
        ``vessel_id, key, lists, entry_ids, listed_name, matched_on`` (strongest),
        ``score``, ``bases`` (every basis), ``name_only``.
    """
    return (
        matches.sort("score", descending=True)
        .group_by("vessel_id", "key", maintain_order=True)
        .agg(
            pl.col("lists").first(),
            pl.col("entry_ids").first(),
            pl.col("listed_name").first(),
            pl.col("matched_on").first(),
            pl.col("matched_value").first(),
            pl.col("score").max(),
            pl.col("matched_on").unique(maintain_order=True).alias("bases"),
        )
        .with_columns((pl.col("bases") == pl.lit(["name"])).alias("name_only"))
    )


def vessel_match_json(matches: pl.DataFrame) -> pl.DataFrame:
    """``vessel_id`` and the ``sanctions_matches`` JSON of the ``vessels`` table.

    One object per (vessel, entry) and list: ``{list, entry_id, listed_name,
    matched_on, score}`` (``DESIGN.md`` §3), strongest first.
    """
    best = best_matches(matches)
    if best.is_empty():
        return pl.DataFrame(schema={"vessel_id": pl.String, "sanctions_matches": pl.String})
    per_list = (
        best.with_columns(pl.col("lists").alias("list"), pl.col("entry_ids").alias("entry_id"))
        .explode("list", "entry_id")
        .sort("score", descending=True)
    )
    return per_list.group_by("vessel_id", maintain_order=True).agg(
        pl.struct("list", "entry_id", "listed_name", "matched_on", "score")
        .struct.json_encode()
        .str.join(",")
        .map_elements(lambda body: f"[{body}]", return_dtype=pl.String)
        .alias("sanctions_matches")
    )
