// A MapLibre map of vessel tracks (stretches as lines, silences as dashed lines) and
// events (circles coloured by type; click opens the event page). Used by the vessel and
// event pages; all layers are native MapLibre (few features, no glyphs needed).
import { Popup, type GeoJSONSource, type Map as MapLibreMap, type MapLayerMouseEvent } from "maplibre-gl";
import { createBaseMap, padBounds } from "./basemap";
import { BASE, typeColor, typeLabel } from "./colors";
import { fmtConfidence, fmtDuration, fmtTime, durationHours } from "./format";
import type { EventRow, TrackCollection, TrackFeature } from "./types";
import { escapeHtml } from "./ui";

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };
const MMSI_COLORS = ["#4dabf7", "#ffa94d", "#69db7c", "#f783ac", "#b197fc", "#ffd43b", "#63e6be"];

/** The positions of a stretch whether it came as a LineString or a Point. */
export function coordsOf(f: TrackFeature): [number, number][] {
  return f.geometry.type === "Point" ? [f.geometry.coordinates] : f.geometry.coordinates;
}

/** The stretch's MMSI (the first, when the server gives a list). */
export function mmsiOf(f: TrackFeature): number {
  const m = f.properties.mmsi;
  return Array.isArray(m) ? m[0] : m;
}

export interface TrackSpec {
  key: string;
  collection: TrackCollection;
  /** One colour for the whole track, or colour per MMSI. */
  color?: string;
  label: string;
}

export class TrackMap {
  readonly map: MapLibreMap;
  private loaded = false;
  private pending = new Map<string, GeoJSON.FeatureCollection>();
  private popup = new Popup({ closeButton: false, closeOnClick: false, className: "map-popup", maxWidth: "280px" });
  private tracks = new Map<string, TrackSpec>();
  readonly mmsiColors = new Map<number, string>();

  constructor(container: HTMLElement, center?: [number, number], zoom?: number) {
    this.map = createBaseMap({ container, center, zoom });
    this.map.on("load", () => {
      this.addLayers();
      this.loaded = true;
      for (const [id, data] of this.pending) (this.map.getSource(id) as GeoJSONSource).setData(data);
      this.pending.clear();
    });
  }

  private addLayers(): void {
    const m = this.map;
    for (const id of ["extra", "gaps", "tracks", "track-points", "points", "events"]) m.addSource(id, { type: "geojson", data: EMPTY });
    m.addLayer({ id: "extra-fill", type: "fill", source: "extra", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": ["coalesce", ["get", "color"], "#ffffff"], "fill-opacity": 0.08 } });
    m.addLayer({ id: "extra-line", type: "line", source: "extra", paint: { "line-color": ["coalesce", ["get", "color"], "#ffffff"], "line-width": 1.5, "line-dasharray": [2, 2] } });
    m.addLayer({ id: "gaps", type: "line", source: "gaps", paint: { "line-color": BASE.gap, "line-width": 1.6, "line-dasharray": [1.5, 2], "line-opacity": 0.9 } });
    m.addLayer({ id: "tracks", type: "line", source: "tracks", layout: { "line-join": "round", "line-cap": "round" }, paint: { "line-color": ["get", "color"], "line-width": 1.8, "line-opacity": 0.9 } });
    m.addLayer({ id: "track-points", type: "circle", source: "track-points", paint: { "circle-radius": 2.5, "circle-color": ["get", "color"], "circle-opacity": 0.9 } });
    m.addLayer({ id: "points", type: "circle", source: "points", paint: { "circle-radius": ["coalesce", ["get", "r"], 4], "circle-color": ["coalesce", ["get", "color"], "#ffffff"], "circle-stroke-color": "#0b1622", "circle-stroke-width": 1 } });
    m.addLayer({
      id: "events",
      type: "circle",
      source: "events",
      paint: {
        "circle-radius": ["get", "r"],
        "circle-color": ["get", "color"],
        "circle-stroke-color": ["get", "stroke"],
        "circle-stroke-width": ["get", "sw"],
        "circle-opacity": 0.95,
      },
    });
    m.on("mouseenter", "events", () => (m.getCanvas().style.cursor = "pointer"));
    m.on("mouseleave", "events", () => {
      m.getCanvas().style.cursor = "";
      this.popup.remove();
    });
    m.on("mousemove", "events", (e: MapLayerMouseEvent) => {
      const f = e.features?.[0];
      if (!f) return;
      const p = f.properties as Record<string, string>;
      this.popup
        .setLngLat(e.lngLat)
        .setHTML(`<b>${escapeHtml(p.label)}</b>${p.subtype ? ` · ${escapeHtml(p.subtype)}` : ""}<br>${escapeHtml(p.when)}<br>confidence ${escapeHtml(p.conf)}<br><span class="muted">click to open</span>`)
        .addTo(m);
    });
    m.on("click", "events", (e: MapLayerMouseEvent) => {
      const f = e.features?.[0];
      if (f) window.location.hash = `#/event/${encodeURIComponent(String(f.properties?.event_id))}`;
    });
    m.on("mousemove", "gaps", (e: MapLayerMouseEvent) => {
      const p = e.features?.[0]?.properties as Record<string, string> | undefined;
      if (p) this.popup.setLngLat(e.lngLat).setHTML(`<b>silence</b> ${escapeHtml(p.text)}`).addTo(m);
    });
    m.on("mouseleave", "gaps", () => this.popup.remove());
  }

  private set(id: string, data: GeoJSON.FeatureCollection): void {
    if (this.loaded) (this.map.getSource(id) as GeoJSONSource | undefined)?.setData(data);
    else this.pending.set(id, data);
  }

  private colorFor(spec: TrackSpec, mmsi: number): string {
    if (spec.color) return spec.color;
    let c = this.mmsiColors.get(mmsi);
    if (!c) {
      c = MMSI_COLORS[this.mmsiColors.size % MMSI_COLORS.length];
      this.mmsiColors.set(mmsi, c);
    }
    return c;
  }

  setTrack(spec: TrackSpec): void {
    this.tracks.set(spec.key, spec);
    const lines: GeoJSON.Feature[] = [];
    const singles: GeoJSON.Feature[] = [];
    const gaps: GeoJSON.Feature[] = [];
    for (const s of this.tracks.values()) {
      const stretches = [...s.collection.features].sort((a, b) => a.properties.start_time.localeCompare(b.properties.start_time));
      stretches.forEach((f, i) => {
        const coords = coordsOf(f);
        const mmsi = mmsiOf(f);
        const props = { color: this.colorFor(s, mmsi), track: s.key, mmsi };
        if (coords.length >= 2) lines.push({ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: props });
        else if (coords.length === 1) singles.push({ type: "Feature", geometry: { type: "Point", coordinates: coords[0] }, properties: props });
        const next = stretches[i + 1];
        const nextCoords = next ? coordsOf(next) : [];
        if (next && coords.length && nextCoords.length) {
          const a = coords[coords.length - 1];
          const b = nextCoords[0];
          const hours = durationHours(f.properties.end_time, next.properties.start_time);
          gaps.push({
            type: "Feature",
            geometry: { type: "LineString", coordinates: [a, b] },
            properties: { track: s.key, text: `${fmtDuration(hours)} from ${fmtTime(f.properties.end_time)}${mmsiOf(next) !== mmsi ? ` (back as MMSI ${mmsiOf(next)})` : ""}` },
          });
        }
      });
    }
    this.set("tracks", { type: "FeatureCollection", features: lines });
    this.set("track-points", { type: "FeatureCollection", features: singles });
    this.set("gaps", { type: "FeatureCollection", features: gaps });
  }

  setEvents(events: EventRow[], focus?: string): void {
    const features: GeoJSON.Feature[] = [];
    // Less important first so that gaps, encounters and dark calls are drawn on top.
    const order = ["area_entry", "port_visit", "draught_change"];
    const sorted = [...events].sort((a, b) => (order.includes(b.event_type) ? 1 : 0) - (order.includes(a.event_type) ? 1 : 0));
    for (const ev of sorted) {
      if (ev.lat === null || ev.lon === null) continue;
      const important = ev.event_type === "encounter" || ev.event_type === "dark_port_call" || (ev.event_type === "ais_gap" && ev.subtype === "likely_deliberate");
      const isFocus = ev.event_id === focus;
      features.push({
        type: "Feature",
        geometry: { type: "Point", coordinates: [ev.lon, ev.lat] },
        properties: {
          event_id: ev.event_id,
          label: typeLabel(ev.event_type),
          subtype: ev.subtype ?? "",
          when: `${fmtTime(ev.start_time)}${ev.end_time ? ` · ${fmtDuration(durationHours(ev.start_time, ev.end_time))}` : " · open"}`,
          conf: fmtConfidence(ev.confidence),
          color: typeColor(ev.event_type),
          r: isFocus ? 10 : important ? 7 : 4,
          stroke: isFocus || important ? "#ffffff" : "#0b1622",
          sw: isFocus ? 3 : important ? 1.5 : 1,
        },
      });
    }
    this.set("events", { type: "FeatureCollection", features });
  }

  setExtra(data: GeoJSON.FeatureCollection): void {
    this.set("extra", data);
  }

  setPoints(data: GeoJSON.FeatureCollection): void {
    this.set("points", data);
  }

  fit(bounds: [number, number, number, number] | null, maxZoom = 9): void {
    if (!bounds) return;
    this.map.fitBounds(padBounds(bounds, 0.2), { padding: 40, animate: false, maxZoom });
  }

  destroy(): void {
    this.popup.remove();
    this.map.remove();
  }
}

export function trackBounds(collections: TrackCollection[], extra: [number, number][] = []): [number, number, number, number] | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const add = (x: number, y: number): void => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  };
  for (const c of collections) for (const f of c.features) for (const [x, y] of coordsOf(f)) add(x, y);
  for (const [x, y] of extra) add(x, y);
  return Number.isFinite(x0) ? [x0, y0, x1, y1] : null;
}
