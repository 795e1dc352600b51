// #/event/{id}: one event, its evidence as a readable table, a map centred on it with
// the vessel's track around it (and the other vessel's for encounters).
import { getJSON } from "../api";
import { BASE, typeColor, typeLabel } from "../colors";
import { durationHours, fmtConfidence, fmtDuration, fmtField, fmtLatLon, fmtTime, label } from "../format";
import { TrackMap, trackBounds } from "../trackmap";
import type { EventDetail, EventRow, Note, Page, TrackCollection, VesselRow } from "../types";
import { clear, errorBox, eventLink, h, isAbort, loading, reportError, vesselLink } from "../ui";
import { notesSection } from "./notes";

const WINDOW_S = 48 * 3600;
const EVENT_ID = /^E[0-9a-f]{16}$/;
const VESSEL_ID = /^V[0-9a-f]{16}$/;

const DESCRIPTIONS: Record<string, string> = {
  ais_gap: "A silence of the vessel's AIS transmitter longer than 6 h; the confidence is the probability that it was switched off rather than unheard.",
  dark_port_call: "While dark, the vessel could have reached a port of a sanctioned state, stayed there and come back in the time it was silent.",
  encounter: "Two vessels close together at low speed away from port for a long time: a possible ship-to-ship transfer.",
  loitering: "The vessel drifted at low speed at sea for a long time.",
  spoofing: "Positions the vessel cannot have been at: impossible jumps, circles, positions on land or an MMSI shared by two ships.",
  identity_change: "The vessel changed a broadcast identity (name, flag, MMSI, call sign).",
  identity_anomaly: "An identity that cannot be right: false flag, invalid or duplicated IMO, unallocated MID.",
  port_visit: "A stop in a port or an anchorage of the gazetteer.",
  route_deviation: "A voyage much longer than peers sail between the same ports.",
  draught_change: "The declared draught changed: cargo loaded or discharged.",
  area_entry: "The vessel entered an area of interest.",
};

export function mountEvent(root: HTMLElement, eventId: string): () => void {
  const abort = new AbortController();
  let trackMap: TrackMap | null = null;
  let disposed = false;
  const page = h("div", { class: "page event-page", testid: "event-page" }, loading("Loading event…"));
  root.appendChild(page);

  async function load(): Promise<void> {
    let ev: EventDetail & { notes?: Note[] };
    try {
      ev = await getJSON<EventDetail & { notes?: Note[] }>(`/api/events/${encodeURIComponent(eventId)}`, undefined, abort.signal);
    } catch (err) {
      if (isAbort(err)) return;
      clear(page);
      page.append(errorBox(err, `load event ${eventId}`), h("p", null, h("a", { href: "#/" }, "Back to the map")));
      return;
    }
    if (disposed) return;
    render(ev);
  }

  function render(ev: EventDetail & { notes?: Note[] }): void {
    clear(page);
    document.title = `${typeLabel(ev.event_type)} · shadowfleet`;
    const details = (ev.details && typeof ev.details === "object" ? ev.details : { value: ev.details }) as Record<string, unknown>;
    const mapHost = h("div", { class: "map-host event-map", testid: "event-map" });
    const mapInfo = h("div", { class: "muted small", testid: "event-map-info" }, "Loading the tracks around the event…");
    const dur = durationHours(ev.start_time, ev.end_time);
    page.append(
      h(
        "section",
        { class: "card event-head", testid: "event-header" },
        h(
          "div",
          { class: "event-title big" },
          h("span", { class: "swatch large", style: `background:${typeColor(ev.event_type)}` }),
          h("h1", { testid: "event-type" }, typeLabel(ev.event_type)),
          ev.subtype ? h("span", { class: "tag", testid: "event-subtype" }, ev.subtype.replace(/_/g, " ")) : null,
          h("span", { class: "conf-pill", title: "confidence 0–1" }, `confidence ${fmtConfidence(ev.confidence)}`),
        ),
        h("p", { class: "muted" }, DESCRIPTIONS[ev.event_type] ?? ""),
        h(
          "dl",
          { class: "ident-grid" },
          h("dt", null, "Vessel"),
          h("dd", null, vesselLink(ev.vessel_id, ev.vessel_name || (ev.mmsi ? `MMSI ${ev.mmsi}` : ev.vessel_id), "event-vessel-link"), ev.mmsi ? h("span", { class: "muted" }, ` MMSI ${ev.mmsi}`) : null, ev.imo ? h("span", { class: "muted" }, ` IMO ${ev.imo}`) : null),
          ev.other_vessel_id || ev.other_mmsi
            ? [h("dt", null, "Other vessel"), h("dd", null, otherVessel(ev))]
            : null,
          h("dt", null, "Start"),
          h("dd", null, fmtTime(ev.start_time)),
          h("dt", null, "End"),
          h("dd", null, ev.end_time ? fmtTime(ev.end_time) : "open: still going when the data end"),
          h("dt", null, "Duration"),
          h("dd", null, fmtDuration(dur)),
          h("dt", null, "Position"),
          h("dd", null, fmtLatLon(ev.lat, ev.lon)),
          ev.port_name ? [h("dt", null, "Port"), h("dd", null, ev.port_name)] : null,
          h("dt", null, "Event id"),
          h("dd", { class: "mono" }, ev.event_id),
        ),
      ),
      h(
        "div",
        { class: "event-grid" },
        h(
          "div",
          null,
          h("section", { class: "card", testid: "evidence" }, h("h2", null, "Evidence"), evidenceTable(details)),
          h("section", { class: "card", testid: "notes-section" }, h("h2", null, "Analyst notes"), notesSection("event", ev.event_id, ev.notes ?? [])),
        ),
        h("section", { class: "card" }, h("h2", null, "Where and when"), mapHost, h("div", { class: "map-legend small" }, mapLegend(ev)), mapInfo),
      ),
    );
    void drawMap(ev, details, mapHost, mapInfo);
  }

  async function drawMap(ev: EventDetail, details: Record<string, unknown>, host: HTMLElement, info: HTMLElement): Promise<void> {
    const center: [number, number] = [ev.lon ?? 0, ev.lat ?? 0];
    trackMap = new TrackMap(host, center, 7);
    const tm = trackMap;
    const extra: GeoJSON.Feature[] = [];
    const pts: [number, number][] = ev.lat !== null && ev.lon !== null ? [center] : [];
    const endLat = num(details.end_lat);
    const endLon = num(details.end_lon);
    if (ev.lat !== null && ev.lon !== null && endLat !== null && endLon !== null) {
      extra.push({ type: "Feature", geometry: { type: "LineString", coordinates: [center, [endLon, endLat]] }, properties: { color: BASE.gap } });
      pts.push([endLon, endLat]);
    }
    const endPoints: GeoJSON.Feature[] = [];
    if (endLat !== null && endLon !== null) endPoints.push({ type: "Feature", geometry: { type: "Point", coordinates: [endLon, endLat] }, properties: { color: BASE.gap, r: 5 } });
    // A dark port call: the silence (or false positions) it hid in, out to the port and back.
    const gapId = typeof details.gap_event_id === "string" ? details.gap_event_id : null;
    if (gapId && ev.lat !== null && ev.lon !== null) {
      try {
        const gap = await getJSON<EventDetail>(`/api/events/${encodeURIComponent(gapId)}`, undefined, abort.signal);
        const gd = (gap.details ?? {}) as Record<string, unknown>;
        const a: [number, number] | null = gap.lat !== null && gap.lon !== null ? [gap.lon, gap.lat] : null;
        const gLat = num(gd.end_lat);
        const gLon = num(gd.end_lon);
        const b: [number, number] | null = gLat !== null && gLon !== null ? [gLon, gLat] : null;
        const path = [a, center, b].filter((x): x is [number, number] => x !== null);
        if (path.length >= 2) extra.push({ type: "Feature", geometry: { type: "LineString", coordinates: path }, properties: { color: "#ff8787" } });
        for (const q of [a, b]) {
          if (!q) continue;
          pts.push(q);
          endPoints.push({ type: "Feature", geometry: { type: "Point", coordinates: q }, properties: { color: BASE.gap, r: 5 } });
        }
      } catch (err) {
        if (isAbort(err)) return;
        reportError(err, `load the silence ${gapId} behind this call`);
      }
    }
    tm.setExtra({ type: "FeatureCollection", features: extra });
    tm.setPoints({ type: "FeatureCollection", features: endPoints });
    const s = Date.parse(ev.start_time ?? "") / 1000;
    const e = ev.end_time ? Date.parse(ev.end_time) / 1000 : s;
    const start = new Date((s - WINDOW_S) * 1000).toISOString();
    const end = new Date((e + WINDOW_S) * 1000).toISOString();
    const collections: TrackCollection[] = [];
    const notes: string[] = [];
    try {
      const jobs: Promise<void>[] = [];
      if (ev.vessel_id) {
        jobs.push(
          getJSON<TrackCollection>(`/api/vessels/${encodeURIComponent(ev.vessel_id)}/track`, { start, end, zoom: 9 }, abort.signal).then((fc) => {
            collections.push(fc);
            tm.setTrack({ key: "vessel", collection: fc, color: BASE.track, label: ev.vessel_name ?? "vessel" });
            notes.push(`${ev.vessel_name ?? "vessel"}: ${fc.simplification?.points_out ?? "?"} positions`);
          }),
        );
        jobs.push(
          getJSON<Page<EventRow>>("/api/events", { vessel_id: ev.vessel_id, start, end, limit: 1000 }, abort.signal).then((pg) => {
            const others = pg.items.some((x) => x.event_id === ev.event_id) ? pg.items : [...pg.items, ev];
            tm.setEvents(others, ev.event_id);
          }),
        );
      } else tm.setEvents([ev], ev.event_id);
      if (ev.other_vessel_id) {
        jobs.push(
          getJSON<TrackCollection>(`/api/vessels/${encodeURIComponent(ev.other_vessel_id)}/track`, { start, end, zoom: 9 }, abort.signal).then((fc) => {
            collections.push(fc);
            tm.setTrack({ key: "other", collection: fc, color: BASE.otherTrack, label: "other vessel" });
            notes.push(`other vessel: ${fc.simplification?.points_out ?? "?"} positions`);
          }),
        );
      }
      await Promise.all(jobs);
    } catch (err) {
      if (isAbort(err)) return;
      reportError(err, "load the tracks around the event");
    }
    if (disposed) return;
    clear(info);
    info.append(`Tracks from ${fmtTime(start)} to ${fmtTime(end)} (48 h either side). ${notes.join("; ")}.`);
    // Centre on the event and what it connects (silence ends, port), with a margin.
    const own = trackBounds([], pts);
    tm.fit(own ? grow(own, 1.0) : trackBounds(collections, pts), 10);
    host.dataset.ready = "true";
  }

  void load();
  return () => {
    disposed = true;
    abort.abort();
    trackMap?.destroy();
    document.title = "shadowfleet";
  };
}

/** The other vessel of an encounter (its row is requested from servers whose events
 * have no other_vessel_name). */
function otherVessel(ev: EventDetail): HTMLElement {
  const label = ev.other_vessel_name || (ev.other_mmsi ? `MMSI ${ev.other_mmsi}` : (ev.other_vessel_id ?? ""));
  const cell = h("span", null, vesselLink(ev.other_vessel_id, label, "event-other-vessel-link"));
  if (ev.other_vessel_name && ev.other_mmsi) cell.append(h("span", { class: "muted" }, ` MMSI ${ev.other_mmsi}`));
  else if (ev.other_vessel_id) {
    getJSON<{ vessel: VesselRow }>(`/api/vessels/${encodeURIComponent(ev.other_vessel_id)}`)
      .then(({ vessel }) => {
        const a = cell.querySelector("a");
        if (a && vessel.name) a.textContent = vessel.name;
        if (vessel.mmsi) cell.append(h("span", { class: "muted" }, ` MMSI ${vessel.mmsi}`));
        cell.append(" ", bandBadgeSmall(vessel));
      })
      .catch((err) => reportError(err, "load the other vessel"));
  }
  return cell;
}

function bandBadgeSmall(v: VesselRow): HTMLElement {
  return h("span", { class: `band-text band-${v.band ?? "low"}`, title: "risk score" }, `risk ${Math.round(v.risk_score ?? 0)}`);
}

/** A box grown to span at least `min` degrees each way, plus a quarter of its size. */
function grow(b: [number, number, number, number], min: number): [number, number, number, number] {
  const w = Math.max(min, (b[2] - b[0]) * 1.5);
  const hgt = Math.max(min, (b[3] - b[1]) * 1.5);
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  return [cx - w / 2, cy - hgt / 2, cx + w / 2, cy + hgt / 2];
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function mapLegend(ev: EventDetail): HTMLElement {
  return h(
    "div",
    { class: "legend-inline" },
    h("span", { class: "legend-chip" }, h("span", { class: "line-swatch", style: `background:${BASE.track}` }), ev.vessel_name ?? "vessel"),
    ev.other_vessel_id ? h("span", { class: "legend-chip" }, h("span", { class: "line-swatch", style: `background:${BASE.otherTrack}` }), ev.other_vessel_name || "other vessel") : null,
    h("span", { class: "legend-chip" }, h("span", { class: "line-swatch dashed" }), "silence / gap"),
    ev.event_type === "dark_port_call" ? h("span", { class: "legend-chip" }, h("span", { class: "line-swatch", style: "background:#ff8787" }), "possible route to the port and back") : null,
    h("span", { class: "legend-chip" }, h("span", { class: "swatch ring" }), "this event"),
  );
}

function valueCell(key: string, value: unknown): Node | string {
  if (typeof value === "string" && EVENT_ID.test(value)) return eventLink(value);
  if (typeof value === "string" && VESSEL_ID.test(value)) return vesselLink(value, value) as Node;
  if (Array.isArray(value) && value.length === 2 && !value.some((v) => typeof v === "object" && v !== null)) {
    // Pairs such as draught_before_m: [this vessel, other vessel].
    return `${fmtField(key, value[0])} / ${fmtField(key, value[1])}`;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) return evidenceTable(value as Record<string, unknown>);
  return fmtField(key, value);
}

function evidenceTable(details: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(details);
  if (!entries.length) return h("p", { class: "muted" }, "No evidence recorded.");
  return h(
    "table",
    { class: "data kv-table", testid: "evidence-table" },
    h(
      "tbody",
      null,
      entries.map(([k, v]) => h("tr", { testid: "evidence-row", "data-key": k }, h("th", { title: k }, label(k)), h("td", null, valueCell(k, v)))),
    ),
  );
}
