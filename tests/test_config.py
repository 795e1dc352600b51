"""Configuration: defaults, TOML round trip, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowfleet.config import Config, IngestConfig, StoreConfig, config_from_dict, dump_config, load_config
from shadowfleet.errors import ConfigError


def test_defaults_round_trip_through_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(dump_config(Config()))
    assert load_config(path) == Config()
    assert load_config(None) == Config()


def test_partial_file_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ingest]\nmax_fragment_line_gap = 5\nsatellite_source_patterns = ["mysat"]\n')
    config = load_config(path)
    assert config.ingest.max_fragment_line_gap == 5
    assert config.ingest.satellite_source_patterns == ("mysat",)
    assert config.store == StoreConfig()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"nope": {}}, "unknown section"),
        ({"ingest": {"max_gap": 1}}, "unknown key"),
        ({"ingest": {"max_fragment_line_gap": "ten"}}, "expected an integer"),
        ({"ingest": {"max_fragment_line_gap": 0}}, "must be positive"),
        ({"ingest": {"satellite_source_patterns": ["("]}}, "bad regular expression"),
        ({"ingest": {"trust_unverified_tag_blocks": 1}}, "expected true or false"),
        ({"store": {"compression": "rar"}}, "compression must be one of"),
        ({"ingest": []}, "must be a table"),
    ],
)
def test_invalid_values_are_refused_with_a_message(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(values)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[ingest\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_configs_are_frozen() -> None:
    with pytest.raises(AttributeError):
        IngestConfig().max_fragment_line_gap = 3  # type: ignore[misc]
