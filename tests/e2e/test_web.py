"""The web application in Chromium against the real API over a demo store.

Slow: builds a demo store (~20-40 s) and a 100,000-event copy, then drives Chromium.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.conftest import BIG_EVENTS, CHROMIUM, TOKEN, Page, Server, screenshot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (Debian's chromium package)"),
]
pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
pytest.importorskip("uvicorn", reason="uvicorn is not installed")

LOAD_TIMEOUT_MS = 120_000


def open_map(web: Page, base: str, query: str = "") -> Any:
    """The map page once its events are loaded and drawn."""
    page = web.page
    page.goto(f"{base}{query}#/")
    page.wait_for_selector("[data-testid=map][data-ready=true]", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector("[data-testid=map][data-drawn=true]", timeout=LOAD_TIMEOUT_MS)
    return page


def count(page: Any, testid: str) -> int:
    return int(page.get_attribute(f"[data-testid={testid}]", "data-count"))


def shown_when(page: Any, condition: str) -> int:
    """The shown-events count once ``condition`` (JS, of ``n``) holds: counts update on the next frame."""
    page.wait_for_function(
        f"() => {{ const n = Number(document.querySelector('[data-testid=events-count]').dataset.count); "
        f"return {condition}; }}"
    )
    return count(page, "events-count")


def top_sanctioned(server: Server) -> dict[str, Any]:
    items = server.get("api/vessels?sanctioned=true&limit=1")["items"]
    assert items, "no sanctioned vessel in the demo store"
    return dict(items[0])


def open_vessel(web: Page, server: Server, vessel_id: str, query: str = "") -> Any:
    page = web.page
    page.goto(f"{server.base}{query}#/vessel/{quote(vessel_id)}")
    page.wait_for_selector("[data-testid=vessel-name]")
    page.wait_for_selector("[data-testid=vessel-map][data-ready=true]", timeout=LOAD_TIMEOUT_MS)
    return page


# ---------------------------------------------------------------------------- map


def test_map_renders_events(web: Page, server: Server) -> None:
    page = open_map(web, server.base)
    summary = server.get("api/summary")
    assert page.locator("[data-testid=map] canvas").count() >= 2, "MapLibre and deck.gl canvases"
    shown = count(page, "events-count")
    loaded = count(page, "events-loaded")
    assert shown > 0
    assert shown == loaded
    assert loaded >= summary["events"] - 10  # events without a position are not drawn
    assert page.locator("[data-testid=legend-item]").count() == len(summary["event_types"])
    assert page.locator("[data-testid=vessel-rank-row]").count() > 0
    page.wait_for_timeout(800)
    screenshot(page, "map")

    # Filters run on the loaded arrays: fewer events with a narrower window or a type off.
    page.locator("[data-testid=type-toggle-port_visit]").uncheck()
    shown_when(page, f"n < {shown}")
    page.locator("[data-testid=type-toggle-port_visit]").check()
    shown_when(page, f"n === {shown}")
    page.locator("[data-testid=time-to]").focus()
    for key in ["PageDown"] * 3 + ["ArrowLeft"] * 5:
        page.keyboard.press(key)
    shown_when(page, f"n > 0 && n < {shown}")
    page.keyboard.press("End")
    shown_when(page, f"n === {shown}")
    page.locator("[data-testid=min-confidence]").fill("0.9")
    page.locator("[data-testid=include-no-confidence]").uncheck()
    shown_when(page, f"n < {shown}")


def test_map_click_event_opens_panel(web: Page, server: Server) -> None:
    page = open_map(web, server.base)
    event = server.get("api/events?type=encounter&limit=1")["items"][0]
    # Centre the map on the event, zoomed in, and click it.
    page.evaluate(
        "([lon, lat]) => window.sfMap.jumpTo({center: [lon, lat], zoom: 11})",
        [event["lon"], event["lat"]],
    )
    page.wait_for_timeout(600)
    box = page.locator("[data-testid=map]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    panel = page.locator("[data-testid=event-panel]")
    panel.locator("[data-testid=open-event-page]").wait_for()
    assert "encounter" in panel.inner_text().lower()
    link = panel.locator("[data-testid=open-vessel-profile]")
    assert link.get_attribute("href").startswith("#/vessel/")
    link.click()
    page.wait_for_selector("[data-testid=vessel-name]")


# ---------------------------------------------------------------------------- search and profile


def test_search_by_name_and_mmsi(web: Page, server: Server) -> None:
    vessel = top_sanctioned(server)
    page = web.page
    page.goto(f"{server.base}#/trade")
    for query in (vessel["name"], str(vessel["mmsi"])):
        search = page.locator("[data-testid=search-input]")
        search.fill(query)
        result = page.locator(f"[data-testid=search-result][data-vessel-id='{vessel['vessel_id']}']")
        result.wait_for()
        result.click()
        page.wait_for_selector("[data-testid=vessel-name]")
        assert page.url.endswith(f"#/vessel/{vessel['vessel_id']}")
        assert vessel["name"] in page.locator("[data-testid=vessel-name]").inner_text()
        assert page.locator("[data-testid=vessel-mmsi]").inner_text() == str(vessel["mmsi"])
        page.goto(f"{server.base}#/watchlist")
    # Enter opens the best match.
    page.locator("[data-testid=search-input]").fill(str(vessel["mmsi"]))
    page.locator("[data-testid=search-input]").press("Enter")
    page.wait_for_url(re.compile(r".*#/vessel/.+"))


def test_vessel_profile(web: Page, server: Server) -> None:
    vessel = top_sanctioned(server)
    profile = server.get(f"api/vessels/{vessel['vessel_id']}")
    page = open_vessel(web, server, vessel["vessel_id"])
    timeline = page.locator("[data-testid=identity-timeline] svg.timeline")
    assert timeline.count() == 1
    assert timeline.locator("g.seg").count() >= 6  # one segment per attribute at least
    reasons = page.locator("[data-testid=risk-reason]")
    assert reasons.count() == len(profile["risk_reasons"]) > 0
    assert page.locator("[data-testid=sanctions-table] tbody tr").count() == len(profile["sanctions_matches"]) > 0
    assert int(page.get_attribute("[data-testid=vessel-map]", "data-points")) > 0
    page.wait_for_selector("[data-testid=events-table]")
    assert page.locator("[data-testid=events-table] tbody tr").count() > 0
    assert page.locator("[data-testid=voyages-table]").count() == 1
    page.wait_for_timeout(800)
    screenshot(page, "vessel")


def test_risk_reason_leads_to_event(web: Page, server: Server) -> None:
    # The highest-risk vessel with a dark port call (or any event) behind its score.
    vessels = server.get("api/vessels?limit=50")["items"]
    chosen: tuple[str, str] | None = None
    for vessel in vessels:
        reasons = server.get(f"api/vessels/{vessel['vessel_id']}")["risk_reasons"]
        events = [e for reason in reasons for e in reason["events"]]
        dark = [e for e in events if e["event_type"] == "dark_port_call"]
        if dark or (events and chosen is None):
            chosen = (vessel["vessel_id"], (dark or events)[0]["event_id"])
            if dark:
                break
    assert chosen is not None, "no risk reason cites an event"
    vessel_id, event_id = chosen
    page = open_vessel(web, server, vessel_id)
    page.locator(f"[data-testid=reason-event-link][href='#/event/{event_id}']").first.click()
    page.wait_for_selector("[data-testid=event-page]")
    assert page.url.endswith(f"#/event/{event_id}")
    event = server.get(f"api/events/{event_id}")
    assert page.locator("[data-testid=evidence-row]").count() == len(event["details"]) > 0
    link = page.locator("[data-testid=event-vessel-link]")
    assert link.get_attribute("href") == f"#/vessel/{vessel_id}"
    page.wait_for_selector("[data-testid=event-map][data-ready=true]", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(800)
    screenshot(page, "event")
    link.click()
    page.wait_for_selector("[data-testid=vessel-name]")


def test_encounter_links_both_vessels(web: Page, server: Server) -> None:
    event = server.get("api/events?type=encounter&limit=1")["items"][0]
    page = web.page
    page.goto(f"{server.base}#/event/{event['event_id']}")
    page.wait_for_selector("[data-testid=event-page]")
    assert page.get_attribute("[data-testid=event-vessel-link]", "href") == f"#/vessel/{event['vessel_id']}"
    if event["other_vessel_id"]:
        other = page.locator("[data-testid=event-other-vessel-link]")
        assert other.get_attribute("href") == f"#/vessel/{event['other_vessel_id']}"
        if event.get("other_vessel_name"):
            assert other.inner_text() == event["other_vessel_name"]
    page.wait_for_selector("[data-testid=event-map][data-ready=true]", timeout=LOAD_TIMEOUT_MS)


def test_unknown_vessel_shows_the_error(web: Page, server: Server) -> None:
    page = web.page
    page.goto(f"{server.base}#/vessel/Vdoesnotexist")
    box = page.locator("[data-testid=error-box]")
    box.wait_for()
    assert "404" in box.inner_text()
    assert "not found" in box.inner_text()
    # The 404 is expected: the browser logs the failed request; keep only other errors.
    web.console.errors[:] = [e for e in web.console.errors if "404" not in e]


# ---------------------------------------------------------------------------- trade


def test_trade_dashboard(web: Page, server: Server) -> None:
    query = "origin_country=KP&destination_country=CN&commodity=coal&price_usd_per_t=80:100"
    estimate = server.get(f"api/trade/estimate?{query}")
    assert estimate["tonnes"]["mid"] > 0, "the demo store has no KP → CN shipment"
    page = web.page
    page.goto(f"{server.base}#/trade")
    page.wait_for_selector("[data-testid=trade-chart]")
    assert page.locator("[data-testid=trade-bar]").count() == len(estimate["by_month"])
    mid = float(page.get_attribute("[data-testid=trade-tonnes-mid]", "data-value"))
    assert mid == pytest.approx(estimate["tonnes"]["mid"])
    assert f"{round(estimate['tonnes']['mid']):,} t" in page.locator("[data-testid=trade-tonnes-mid]").inner_text()
    assert page.locator("[data-testid=turnaround-table] tbody tr").count() == len(estimate["turnaround"])
    rows = page.locator("[data-testid=trade-shipments-table] [data-testid=shipment-row]")
    assert rows.count() == len(estimate["shipments"])
    links = page.locator("[data-testid=shipment-vessel-link]")
    assert links.count() >= len(estimate["shipments"])
    names = {name for name in estimate.get("vessel_names", {}).values() if name}
    if names:  # vessels are shown by name, not by id
        assert links.first.inner_text() in names
    page.wait_for_selector("[data-testid=trade-flows-table]")
    page.wait_for_timeout(300)
    screenshot(page, "trade")
    # Per week, and a bad price band shows the API's message.
    page.locator("[data-testid=chart-by-week]").click()
    assert page.locator("[data-testid=trade-bar]").count() >= 1
    page.locator("[data-testid=trade-price]").fill("100:80")
    page.locator("[data-testid=trade-submit]").click()
    error = page.locator("[data-testid=trade-result] [data-testid=error-box]")
    error.wait_for()
    assert "LOW must not exceed HIGH" in error.inner_text()
    web.console.errors[:] = [e for e in web.console.errors if "400" not in e]


# ---------------------------------------------------------------------------- writes


def test_watchlist_with_token(web: Page, server: Server) -> None:
    vessel = top_sanctioned(server)
    page = open_vessel(web, server, vessel["vessel_id"], query=f"?token={TOKEN}")
    assert "token" not in page.url, "the token is stripped from the address"
    assert page.evaluate("localStorage.getItem('shadowfleet.token')") == TOKEN
    page.wait_for_selector("[data-testid=write-badge]")
    toggle = page.locator("[data-testid=watch-toggle]")
    if toggle.get_attribute("data-watched") == "true":  # left by an earlier run
        toggle.click()
        page.wait_for_selector("[data-testid=watch-toggle][data-watched=false]:not([disabled])")
    toggle.click()
    page.wait_for_selector("[data-testid=watch-toggle][data-watched=true]:not([disabled])")
    assert vessel["vessel_id"] in [i["vessel_id"] for i in server.get("api/watchlist")["items"]]

    # A note on the vessel.
    page.locator("[data-testid=note-input]").fill("Checked against the UN panel report.")
    page.locator("[data-testid=note-add]").click()
    page.wait_for_selector("[data-testid=note-item]:has-text('UN panel report')")

    page.goto(f"{server.base}#/watchlist")
    row = page.locator(f"[data-testid=watchlist-row][data-vessel-id='{vessel['vessel_id']}']")
    row.wait_for()
    row.locator("[data-testid=watch-note-input]").fill("follow the next Nampo call")
    row.locator("[data-testid=watch-note-save]").click()
    page.wait_for_selector("[data-testid=info-toast]:has-text('Note saved')")
    items = {i["vessel_id"]: i for i in server.get("api/watchlist")["items"]}
    assert items[vessel["vessel_id"]]["note"] == "follow the next Nampo call"
    page.wait_for_selector("[data-testid=info-toast]", state="detached", timeout=10_000)
    screenshot(page, "watchlist")
    row.locator("[data-testid=watch-remove]").click()
    row.wait_for(state="detached")
    assert vessel["vessel_id"] not in [i["vessel_id"] for i in server.get("api/watchlist")["items"]]


def test_read_only_without_token(web: Page, server: Server) -> None:
    vessel = top_sanctioned(server)
    page = open_vessel(web, server, vessel["vessel_id"])
    page.wait_for_selector("[data-testid=readonly-badge]")
    assert page.locator("[data-testid=watch-toggle]").is_disabled()
    assert page.locator("[data-testid=note-add]").is_disabled()
    # A wrong token: the write is refused and the API's message is shown.
    page.goto(f"{server.base}?token=wrong#/vessel/{quote(vessel['vessel_id'])}")
    page.wait_for_selector("[data-testid=write-badge]")
    page.locator("[data-testid=watch-toggle]:not([disabled])").click()
    toast = page.locator("[data-testid=error-toast]")
    toast.wait_for()
    assert "401" in toast.inner_text()
    web.console.errors[:] = [e for e in web.console.errors if "401" not in e]


# ---------------------------------------------------------------------------- exports


def test_exports_download_the_vessel_events(web: Page, server: Server) -> None:
    vessel = top_sanctioned(server)
    events = server.get(f"api/events?vessel_id={vessel['vessel_id']}&limit=1000")
    total = events["total"]
    located = sum(1 for e in events["items"] if e["lat"] is not None and e["lon"] is not None)
    assert total > 0
    page = open_vessel(web, server, vessel["vessel_id"])
    with page.expect_download() as info:
        page.locator("[data-testid=export-csv]").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == total
    assert {row["vessel_id"] for row in rows} | {row["other_vessel_id"] for row in rows} >= {vessel["vessel_id"]}
    assert "event_id" in rows[0]
    with page.expect_download() as info:
        page.locator("[data-testid=export-geojson]").click()
    download = info.value
    assert download.suggested_filename.endswith(".geojson")
    collection = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    # Every event; those without a position have a null geometry (RFC 7946 §3.2).
    assert len(collection["features"]) == total
    assert sum(f["geometry"] is not None for f in collection["features"]) == located
    assert {f["properties"]["event_id"] for f in collection["features"]} <= {row["event_id"] for row in rows}


# ---------------------------------------------------------------------------- 100,000 events

FRAME_MONITOR = """
() => {
  window.__gaps = [];
  let last = performance.now();
  const tick = (t) => { window.__gaps.push(t - last); last = t; window.__raf = requestAnimationFrame(tick); };
  window.__raf = requestAnimationFrame(tick);
}
"""


def test_map_100k_events_stays_responsive(web: Page, big_server: Server) -> None:
    page = web.page
    started = time.monotonic()
    open_map(web, big_server.base)
    load_s = time.monotonic() - started
    assert count(page, "events-loaded") == BIG_EVENTS
    assert count(page, "events-count") == BIG_EVENTS
    page.wait_for_timeout(1000)
    page.evaluate(FRAME_MONITOR)

    # The time slider: each key press filters 100,000 events (uniforms on the GPU, a
    # count on the CPU). PageDown/PageUp move a tenth of the range, arrows an hour.
    page.locator("[data-testid=time-to]").focus()
    for key in ["PageDown"] * 3 + ["ArrowLeft"] * 10:
        page.keyboard.press(key)
    narrowed = shown_when(page, f"n > 0 && n < {BIG_EVENTS}")
    page.locator("[data-testid=time-from]").focus()
    for key in ["PageUp"] * 2 + ["ArrowRight"] * 10:
        page.keyboard.press(key)
    shown_when(page, f"n < {narrowed}")
    page.locator("[data-testid=time-from]").press("Home")
    page.locator("[data-testid=time-to]").press("End")
    shown_when(page, f"n === {BIG_EVENTS}")

    # Type toggles rewrite one mask array.
    page.locator("[data-testid=type-toggle-ais_gap]").uncheck()
    shown_when(page, f"n < {BIG_EVENTS}")
    page.locator("[data-testid=type-toggle-ais_gap]").check()
    shown_when(page, f"n === {BIG_EVENTS}")

    # Pan and zoom.
    box = page.locator("[data-testid=map]").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(cx - step * 15, cy - step * 8)
    page.mouse.up()
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(1500)

    gaps = page.evaluate("window.__gaps")
    page.evaluate("cancelAnimationFrame(window.__raf)")
    worst = max(gaps)
    print(f"\n100k events: loaded and drawn in {load_s:.1f} s; {len(gaps)} frames, worst gap {worst:.0f} ms")
    assert len(gaps) > 20
    assert worst < 1000, f"a frame took {worst:.0f} ms after load (frames: {sorted(gaps)[-5:]})"
