"""Build NMEA test sentences with correct checksums (test helper, not a test module)."""

from __future__ import annotations

from functools import reduce
from typing import Any

import pyais

DEFAULT_TIME_US = 1_600_000_000_000_000  # 2020-09-13 12:26:40 UTC


def checksum(body: str) -> str:
    """Two-digit hex XOR of the characters between '!'/'$'/'\\' and '*'."""
    return f"{reduce(lambda acc, c: acc ^ ord(c), body, 0):02X}"


def sentence(
    payload: str,
    fill: int = 0,
    *,
    total: int = 1,
    number: int = 1,
    seq: str = "",
    channel: str = "A",
    talker: str = "AI",
    formatter: str = "VDM",
    tag: str | None = None,
    trailing: str | None = None,
    prefix: str = "",
) -> str:
    """One VDM sentence (optionally with a tag block, a prefix or trailing fields)."""
    body = f"{talker}{formatter},{total},{number},{seq},{channel},{payload},{fill}"
    text = f"!{body}*{checksum(body)}"
    if tag is not None:
        text = f"\\{tag}*{checksum(tag)}\\{text}"
    if trailing is not None:
        text = f"{text},{trailing}"
    return prefix + text


def header(
    year: int, month: int, day: int, hour: int, minute: int, second: int, milli: int, cc: str, online: str = "1"
) -> str:
    """A Gatehouse ``$PGHP`` header announcing a message whose checksum is ``cc``."""
    body = f"PGHP,1,{year},{month},{day},{hour},{minute},{second},{milli},219,45,992190934,{online},{cc}"
    return f"${body}*{checksum(body)}"


def zda(hhmmss: str, day: int, month: int, year: int) -> str:
    body = f"GPZDA,{hhmmss},{day:02d},{month:02d},{year},,"
    return f"${body}*{checksum(body)}"


def payloads(fields: dict[str, Any]) -> list[tuple[str, int]]:
    """Armoured payload and fill bits of each fragment of a message, encoded by pyais."""
    out = []
    for text in pyais.encode_dict(fields, radio_channel="A", talker_id="AI", seq_id=0):
        parts = text.split("*")[0].split(",")
        out.append((parts[5], int(parts[6])))
    return out


def position(mmsi: int = 244660000, lat: float = 52.1, lon: float = 4.2, **extra: Any) -> str:
    """The payload of a type 1 position report (single sentence, fill 0)."""
    ((payload, _fill),) = payloads({"type": 1, "mmsi": mmsi, "lat": lat, "lon": lon, **extra})
    return payload


def static_voyage(mmsi: int = 244660000, **extra: Any) -> list[tuple[str, int]]:
    """Fragments of a type 5 static and voyage report (two sentences)."""
    fields = {
        "type": 5,
        "mmsi": mmsi,
        "imo": 9323340,
        "callsign": "V7LN9",
        "shipname": "TARGALE",
        "ship_type": 80,
        "to_bow": 150,
        "to_stern": 45,
        "to_port": 16,
        "to_starboard": 16,
        "month": 7,
        "day": 1,
        "hour": 3,
        "minute": 30,
        "draught": 12.5,
        "destination": "NEW YORK",
        **extra,
    }
    return payloads(fields)


def lines(*items: str) -> bytes:
    return ("\n".join(items) + "\n").encode()
