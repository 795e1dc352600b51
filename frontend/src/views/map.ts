// #/ : every event of the store on one map (deck.gl over MapLibre), filtered on the GPU.
import { MapboxOverlay } from "@deck.gl/mapbox";
import { ScatterplotLayer, TextLayer } from "@deck.gl/layers";
import { DataFilterExtension } from "@deck.gl/extensions";
import { PointsLayer } from "../pointslayer";
import type { Layer, PickingInfo } from "@deck.gl/core";
import { getJSON, getSummary } from "../api";
import { createBaseMap, isValidBounds, padBounds, whenLoaded } from "../basemap";
import { typeColor, typeLabel } from "../colors";
import { countVisible, filterRange, histogram, loadEvents, withMask, type EventData, type Filters } from "../eventdata";
import { fmtConfidence, fmtDate, fmtDuration, fmtInt, fmtLatLon, fmtTime, durationHours, fmtShipType } from "../format";
import type { EventDetail, Page, Summary, VesselRow } from "../types";
import { bandBadge, clear, errorBox, escapeHtml, flagText, h, isAbort, loading, reportError, sanctionedBadge, svg, vesselLink, vesselName } from "../ui";

interface PortFeature {
  geometry: { coordinates: [number, number] };
  properties: { name: string; country_iso2: string | null; locode: string | null; sanctioned: boolean };
}

const HIST_BINS = 120;
const SOFTWARE_GL = softwareRenderer();
const LABEL_FONT = '"DejaVu Sans", "Helvetica Neue", Arial, sans-serif';
const dataFilter = new DataFilterExtension({ filterSize: 4 });

export function mountMap(root: HTMLElement): () => void {
  const abort = new AbortController();
  let disposed = false;
  const countEl = h("b", { testid: "events-count", "data-count": "0" }, "0");
  const loadedEl = h("span", { testid: "events-loaded", "data-count": "0" }, "…");
  const statusEl = h("div", { class: "map-status" }, loading("Loading events…"));
  const filtersEl = h("div", { class: "filters" });
  const summaryEl = h("div", { class: "summary-stats", testid: "store-summary" });
  const sideEl = h("aside", { class: "panel side-right", testid: "side-panel" });
  const mapHost = h("div", { class: "map-host", testid: "map" });
  const left = h(
    "aside",
    { class: "panel side-left", testid: "map-filters" },
    summaryEl,
    h("div", { class: "count-line" }, countEl, " of ", loadedEl, " events shown"),
    statusEl,
    filtersEl,
  );
  root.appendChild(h("div", { class: "mapview", testid: "map-view" }, left, mapHost, sideEl));

  let data: EventData | null = null;
  let filters: Filters | null = null;
  let filterValues: Float32Array | null = null;
  let ports: PortFeature[] = [];
  let areas: GeoJSON.FeatureCollection | null = null;
  let showPorts = true;
  let showAreas = true;
  let selected: { slot: number; id: string } | null = null;
  let frame = 0;
  let summary: Summary | null = null;
  let typeCounts: HTMLElement[] = [];
  const map = createBaseMap({ container: mapHost });
  // For the end-to-end tests (project a position to a pixel to click an event).
  (window as unknown as { sfMap?: unknown }).sfMap = map;
  const overlay = new MapboxOverlay({
    interleaved: false,
    layers: [],
    getTooltip: (info: PickingInfo) => tooltip(info),
    onClick: (info: PickingInfo) => onPick(info),
    // Tells the end-to-end tests that the events were drawn at least once.
    onAfterRender: () => {
      if (filterValues && mapHost.dataset.drawn !== "true") mapHost.dataset.drawn = "true";
    },
  });
  map.addControl(overlay);
  const resizer = new ResizeObserver(() => map.resize());
  map.on("zoomend", () => {
    declutter();
    redraw();
  });
  function setAreasVisible(on: boolean): void {
    for (const id of ["areas-fill", "areas-line"]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  }
  resizer.observe(mapHost);


  // The binary data object is kept while its arrays are the same: a new object would make
  // deck.gl treat every frame as new data (picking colours recomputed for every event).
  let layerData: { key: Float32Array; value: unknown } | null = null;
  function binaryData(d: EventData, values: Float32Array): unknown {
    if (!layerData || layerData.key !== values) {
      layerData = {
        key: values,
        value: {
          length: d.n,
          attributes: {
            getPosition: { value: d.positions, size: 2 },
            getFillColor: { value: d.colors, size: 4, normalized: true },
            getFilterValue: { value: values, size: 4 },
          },
        },
      };
    }
    return layerData.value;
  }

  function eventsLayer(): Layer | null {
    if (!data || !filters || !filterValues) return null;
    const lean = SOFTWARE_GL && data.n > 20000;
    return new PointsLayer({
      id: "events",
      data: binaryData(data, filterValues),
      // Many events with WebGL on the CPU (a virtual desktop without a GPU, a headless
      // browser): smaller dots, and no hover highlight (a redraw per mouse move).
      pointSize: lean ? 4.5 : 6,
      pickable: true,
      autoHighlight: !lean,
      highlightColor: [255, 255, 255, 230],
      extensions: [dataFilter],
      filterRange: filterRange(data, filters),
    } as never) as unknown as Layer;
  }

  interface Label {
    text: string;
    position: [number, number];
    color: [number, number, number, number];
    offset: [number, number];
    anchor: "start" | "middle";
  }
  let labels: Label[] = [];
  let labelsVersion = 0;

  /** Labels that do not overlap at the current zoom (ports first, then areas). */
  function declutter(): void {
    const all: Label[] = [];
    if (showPorts) for (const p of ports) all.push({ text: p.properties.name, position: p.geometry.coordinates, color: [255, 150, 150, 255], offset: [8, 0], anchor: "start" });
    if (showAreas && areas) {
      for (const f of areas.features) all.push({ text: titleCase(String(f.properties?.name ?? "").replace(/_/g, " ")), position: centroid(f.geometry), color: [150, 185, 240, 220], offset: [0, 0], anchor: "middle" });
    }
    const boxes: [number, number, number, number][] = [];
    labels = [];
    for (const l of all) {
      const pt = map.project(l.position);
      const w = l.text.length * 6.6 + 6;
      const x0 = l.anchor === "start" ? pt.x + l.offset[0] : pt.x - w / 2;
      const box: [number, number, number, number] = [x0, pt.y - 8, x0 + w, pt.y + 8];
      if (boxes.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
      boxes.push(box);
      labels.push(l);
    }
    labelsVersion++;
  }

  function layers(): Layer[] {
    const out: Layer[] = [];
    const ev = eventsLayer();
    if (ev) out.push(ev);
    if (showPorts && ports.length) {
      out.push(
        new ScatterplotLayer<PortFeature>({
          id: "ports",
          data: ports,
          getPosition: (d) => d.geometry.coordinates,
          radiusUnits: "pixels",
          getRadius: 5,
          filled: true,
          getFillColor: [11, 22, 34, 255],
          stroked: true,
          getLineColor: [255, 77, 79, 255],
          lineWidthUnits: "pixels",
          getLineWidth: 2,
          pickable: true,
        }) as unknown as Layer,
      );
    }
    if (labels.length) {
      out.push(
        new TextLayer<Label>({
          // A new layer whenever the set changes: updating a TextLayer's data in place
          // mixed up characters between labels.
          id: `labels-${labelsVersion}`,
          data: labels,
          getPosition: (d) => d.position,
          getText: (d) => d.text,
          getSize: 11,
          getColor: (d) => d.color,
          getTextAnchor: (d) => d.anchor,
          getAlignmentBaseline: "center",
          getPixelOffset: (d) => d.offset,
          fontFamily: LABEL_FONT,
          fontSettings: { sdf: true },
          outlineWidth: 3,
          outlineColor: [11, 22, 34, 255],
        }) as unknown as Layer,
      );
    }
    if (data && selected) {
      const p: [number, number] = [data.positions[selected.slot * 2], data.positions[selected.slot * 2 + 1]];
      out.push(
        new ScatterplotLayer<[number, number]>({
          id: "selected",
          data: [p],
          getPosition: (d) => d,
          radiusUnits: "pixels",
          getRadius: 11,
          filled: false,
          stroked: true,
          getLineColor: [255, 255, 255, 255],
          lineWidthUnits: "pixels",
          getLineWidth: 2.5,
        }) as unknown as Layer,
      );
    }
    return out;
  }

  function redraw(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (disposed) return;
      overlay.setProps({ layers: layers() });
      updateCounts();
    });
  }

  function updateCounts(): void {
    if (!data || !filters) return;
    const { total, byType } = countVisible(data, filters);
    countEl.textContent = fmtInt(total);
    countEl.dataset.count = String(total);
    typeCounts.forEach((el, code) => {
      el.textContent = `${fmtInt(byType[code] ?? 0)} / ${fmtInt(data!.countsByType[code] ?? 0)}`;
    });
  }

  function tooltip(info: PickingInfo): { html: string; className: string } | null {
    if (!info.picked || info.index < 0) return null;
    const id = info.layer?.id;
    if (id === "events" && data) {
      const row = data.order[info.index];
      const type = data.types[data.codes[row]] ?? "?";
      const sub = data.subtypes?.get(row);
      const end = data.end[row];
      return {
        className: "deck-tooltip",
        html: `<b>${escapeHtml(typeLabel(type))}</b>${sub ? ` · ${escapeHtml(String(sub).replace(/_/g, " "))}` : ""}<br>${fmtTime(data.start[row])}${Number.isNaN(end) ? " – open" : ` · ${fmtDuration((end - data.start[row]) / 3600)}`}<br>confidence ${fmtConfidence(data.confidence[row])}<br><span class="muted">click for details</span>`,
      };
    }
    if (id === "ports") {
      const p = (info.object as PortFeature).properties;
      return { className: "deck-tooltip", html: `<b>${escapeHtml(p.name)}</b> (${escapeHtml(p.country_iso2 ?? "")})<br>port of a sanctioned state` };
    }
    return null;
  }

  function onPick(info: PickingInfo): void {
    if (!info.picked || info.layer?.id !== "events" || !data) return;
    const row = data.order[info.index];
    const id = String(data.eventIds.get(row));
    selected = { slot: info.index, id };
    redraw();
    showEvent(id);
  }

  // ------------------------------------------------------------------ side panel
  async function showRanking(): Promise<void> {
    selected = null;
    redraw();
    clear(sideEl);
    const list = h("div", { class: "ranking", testid: "vessel-ranking" }, loading());
    sideEl.append(h("div", { class: "panel-head" }, h("h2", null, "Highest risk vessels")), list);
    try {
      const page = await getJSON<Page<VesselRow>>("/api/vessels", { limit: 50 }, abort.signal);
      clear(list);
      list.append(
        h("p", { class: "muted small" }, `Top ${fmtInt(page.items.length)} of ${fmtInt(page.total)} vessels by risk score.`),
        h(
          "ol",
          { class: "rank-list" },
          page.items.map((v) =>
            h(
              "li",
              { testid: "vessel-rank-row" },
              h(
                "a",
                { href: `#/vessel/${encodeURIComponent(v.vessel_id)}`, class: "rank-item", testid: "vessel-link" },
                bandBadge(v.band, v.risk_score),
                h(
                  "span",
                  { class: "rank-main" },
                  h("span", { class: "rank-name" }, vesselName(v), " ", sanctionedBadge(v.sanctioned)),
                  h("span", { class: "rank-sub" }, `${flagText(v.flag_iso2)} · IMO ${v.imo ?? "–"} · MMSI ${v.mmsi ?? "–"} · ${fmtShipType(v.ship_type)}`),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (isAbort(err)) return;
      clear(list);
      list.append(errorBox(err, "load the vessel ranking"));
    }
  }

  async function showEvent(id: string): Promise<void> {
    clear(sideEl);
    const body = h("div", { class: "event-panel", testid: "event-panel" }, loading());
    sideEl.append(
      h(
        "div",
        { class: "panel-head" },
        h("button", { class: "link-button", testid: "back-to-ranking", onclick: () => void showRanking() }, "← Vessels"),
        h("h2", null, "Event"),
      ),
      body,
    );
    try {
      const ev = await getJSON<EventDetail>(`/api/events/${encodeURIComponent(id)}`, undefined, abort.signal);
      if (selected?.id !== id) return;
      clear(body);
      const dur = durationHours(ev.start_time, ev.end_time);
      body.append(
        h("div", { class: "event-title" }, h("span", { class: "swatch", style: `background:${typeColor(ev.event_type)}` }), h("b", null, typeLabel(ev.event_type)), ev.subtype ? h("span", { class: "tag" }, ev.subtype.replace(/_/g, " ")) : null),
        h(
          "dl",
          { class: "kv" },
          h("dt", null, "Vessel"),
          h("dd", null, vesselLink(ev.vessel_id, ev.vessel_name || (ev.mmsi ? `MMSI ${ev.mmsi}` : ev.vessel_id), "event-vessel-link")),
          ev.other_vessel_id || ev.other_mmsi ? [h("dt", null, "Other vessel"), h("dd", null, vesselLink(ev.other_vessel_id, ev.other_vessel_name || (ev.other_mmsi ? `MMSI ${ev.other_mmsi}` : null), "event-other-vessel-link"))] : null,
          h("dt", null, "Start"),
          h("dd", null, fmtTime(ev.start_time)),
          h("dt", null, "End"),
          h("dd", null, ev.end_time ? fmtTime(ev.end_time) : "open (still going when the data end)"),
          h("dt", null, "Duration"),
          h("dd", null, fmtDuration(dur)),
          h("dt", null, "Position"),
          h("dd", null, fmtLatLon(ev.lat, ev.lon)),
          ev.port_name ? [h("dt", null, "Port"), h("dd", null, ev.port_name)] : null,
          h("dt", null, "Confidence"),
          h("dd", null, fmtConfidence(ev.confidence)),
        ),
        h(
          "div",
          { class: "actions" },
          h("a", { class: "button primary", href: `#/event/${encodeURIComponent(ev.event_id)}`, testid: "open-event-page" }, "Event page & evidence"),
          ev.vessel_id ? h("a", { class: "button", href: `#/vessel/${encodeURIComponent(ev.vessel_id)}`, testid: "open-vessel-profile" }, "Vessel profile") : null,
        ),
        h("p", { class: "muted small mono" }, ev.event_id),
      );
    } catch (err) {
      if (isAbort(err)) return;
      clear(body);
      body.append(errorBox(err, `load event ${id}`));
    }
  }

  // ------------------------------------------------------------------ filters UI
  function buildFilters(d: EventData, s: Summary): void {
    clear(filtersEl);
    const enabled = d.types.map(() => true);
    const from = d.timeMin;
    const to = d.timeMax;
    filters = { enabled, minConfidence: 0, includeNoConfidence: true, from, to };
    filterValues = withMask(d, enabled, true);

    // Time window: histogram and two sliders (hour steps).
    const hours = Math.max(1, Math.ceil((to - from) / 3600));
    const step = hours > 4000 ? Math.ceil(hours / 4000) : 1;
    const maxStep = Math.ceil(hours / step);
    const fromInput = h("input", { type: "range", min: 0, max: maxStep, value: 0, step: 1, testid: "time-from", "aria-label": "from" });
    const toInput = h("input", { type: "range", min: 0, max: maxStep, value: maxStep, step: 1, testid: "time-to", "aria-label": "to" });
    const fromLabel = h("span", { testid: "time-from-label" }, fmtTime(from));
    const toLabel = h("span", { testid: "time-to-label" }, fmtTime(to));
    const counts = histogram(d, HIST_BINS);
    const maxCount = Math.max(1, ...counts);
    const histo = svg("svg", { class: "histogram", viewBox: `0 0 ${HIST_BINS} 40`, preserveAspectRatio: "none" });
    const shade = svg("rect", { x: 0, y: 0, width: HIST_BINS, height: 40, class: "hist-window" });
    histo.appendChild(shade);
    counts.forEach((c, i) => {
      const bh = (Math.sqrt(c) / Math.sqrt(maxCount)) * 38;
      histo.appendChild(svg("rect", { x: i + 0.1, y: 40 - bh, width: 0.8, height: bh, class: "hist-bar" }));
    });
    const onTime = (): void => {
      let a = Number(fromInput.value);
      let b = Number(toInput.value);
      if (a > b) {
        if (document.activeElement === fromInput) b = a;
        else a = b;
        fromInput.value = String(a);
        toInput.value = String(b);
      }
      filters!.from = from + a * step * 3600;
      filters!.to = Math.min(to, from + b * step * 3600);
      if (b >= maxStep) filters!.to = to;
      fromLabel.textContent = fmtTime(filters!.from);
      toLabel.textContent = fmtTime(filters!.to);
      shade.setAttribute("x", String((a / maxStep) * HIST_BINS));
      shade.setAttribute("width", String(((b - a) / maxStep) * HIST_BINS));
      redraw();
    };
    fromInput.addEventListener("input", onTime);
    toInput.addEventListener("input", onTime);

    const confInput = h("input", { type: "range", min: 0, max: 1, step: 0.05, value: 0, testid: "min-confidence", "aria-label": "minimum confidence" });
    const confLabel = h("span", { testid: "min-confidence-label" }, "0.00");
    confInput.addEventListener("input", () => {
      filters!.minConfidence = Number(confInput.value);
      confLabel.textContent = Number(confInput.value).toFixed(2);
      redraw();
    });
    const noConf = h("input", { type: "checkbox", checked: true, testid: "include-no-confidence" });
    noConf.addEventListener("change", () => {
      filters!.includeNoConfidence = noConf.checked;
      filterValues = withMask(d, filters!.enabled, noConf.checked);
      redraw();
    });

    const typeBoxes: HTMLInputElement[] = [];
    typeCounts = [];
    const typeRows = d.types.map((type, code) => {
      const box = h("input", { type: "checkbox", checked: true, testid: `type-toggle-${type}`, "data-type": type });
      box.addEventListener("change", () => {
        filters!.enabled[code] = box.checked;
        filterValues = withMask(d, filters!.enabled, filters!.includeNoConfidence);
        redraw();
      });
      typeBoxes.push(box);
      const countSpan = h("span", { class: "type-count num" }, fmtInt(d.countsByType[code] ?? 0));
      typeCounts.push(countSpan);
      const present = (d.countsByType[code] ?? 0) > 0;
      return h(
        "label",
        { class: `type-row${present ? "" : " absent"}`, testid: "legend-item", title: `${typeLabel(type)} (${type})` },
        box,
        h("span", { class: "swatch", style: `background:${typeColor(type, code)}` }),
        h("span", { class: "type-name" }, typeLabel(type)),
        countSpan,
      );
    });
    const setAll = (on: boolean): void => {
      typeBoxes.forEach((b, i) => {
        b.checked = on;
        filters!.enabled[i] = on;
      });
      filterValues = withMask(d, filters!.enabled, filters!.includeNoConfidence);
      redraw();
    };

    const portsBox = h("input", { type: "checkbox", checked: showPorts, testid: "toggle-ports" });
    portsBox.addEventListener("change", () => {
      showPorts = portsBox.checked;
      declutter();
      redraw();
    });
    const areasBox = h("input", { type: "checkbox", checked: showAreas, testid: "toggle-areas" });
    areasBox.addEventListener("change", () => {
      showAreas = areasBox.checked;
      setAreasVisible(showAreas);
      declutter();
      redraw();
    });

    filtersEl.append(
      h(
        "section",
        { class: "filter-block" },
        h("h3", null, "Time window ", h("span", { class: "h3-note" }, "events overlapping it")),
        histo,
        h("div", { class: "range-row" }, h("span", { class: "range-name" }, "From"), fromInput),
        h("div", { class: "range-value" }, fromLabel),
        h("div", { class: "range-row" }, h("span", { class: "range-name" }, "To"), toInput),
        h("div", { class: "range-value" }, toLabel),
      ),
      h(
        "section",
        { class: "filter-block" },
        h("h3", null, "Minimum confidence ", confLabel),
        confInput,
        h("label", { class: "check small" }, noConf, " include events without a confidence score"),
      ),
      h(
        "section",
        { class: "filter-block" },
        h(
          "h3",
          null,
          "Event types ",
          h("button", { class: "link-button small", onclick: () => setAll(true), testid: "types-all" }, "all"),
          " · ",
          h("button", { class: "link-button small", onclick: () => setAll(false), testid: "types-none" }, "none"),
        ),
        h("div", { class: "legend", testid: "legend" }, typeRows),
        h("p", { class: "muted small" }, "Shown / loaded. Fainter dots: lower confidence."),
      ),
      h(
        "section",
        { class: "filter-block" },
        h("h3", null, "Reference layers"),
        h("label", { class: "check" }, portsBox, h("span", { class: "port-swatch" }), " ports of sanctioned states"),
        h("label", { class: "check" }, areasBox, h("span", { class: "area-swatch" }), " areas of interest"),
      ),
    );
    void s;
  }

  function renderSummary(s: Summary): void {
    clear(summaryEl);
    summaryEl.append(
      h(
        "div",
        { class: "stat-grid" },
        stat("Vessels", fmtInt(s.vessels)),
        stat("Sanctioned", fmtInt(s.sanctioned_vessels)),
        stat("Positions", fmtInt(s.positions)),
        stat("Events", fmtInt(Object.values(s.events_by_type).reduce((a, b) => a + b, 0))),
      ),
      h("div", { class: "muted small" }, `${fmtDate(s.time_min)} → ${fmtDate(s.time_max)} (UTC)`),
    );
  }

  // ------------------------------------------------------------------ loading
  async function start(): Promise<void> {
    try {
      summary = await getSummary();
    } catch (err) {
      clear(statusEl);
      statusEl.append(errorBox(err, "load the store summary"));
      return;
    }
    if (disposed) return;
    renderSummary(summary);
    if (summary.bbox && isValidBounds(summary.bbox)) map.fitBounds(padBounds(summary.bbox), { animate: false, padding: 20 });
    declutter();
    void showRanking();
    getJSON<{ features: PortFeature[] }>("/api/ports", { sanctioned: true }, abort.signal)
      .then((fc) => {
        ports = fc.features;
        declutter();
        redraw();
      })
      .catch((err) => reportError(err, "load the sanctioned ports"));
    getJSON<GeoJSON.FeatureCollection>("/api/areas", undefined, abort.signal)
      .then((fc) => {
        areas = fc;
        whenLoaded(map, () => {
          map.addSource("areas", { type: "geojson", data: fc });
          map.addLayer({ id: "areas-fill", type: "fill", source: "areas", paint: { "fill-color": "#78aaff", "fill-opacity": 0.07 } });
          map.addLayer({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": "#78aaff", "line-opacity": 0.6, "line-width": 1, "line-dasharray": [3, 2] } });
          setAreasVisible(showAreas);
        });
        declutter();
        redraw();
      })
      .catch((err) => reportError(err, "load the areas of interest"));
    try {
      const tmin = summary.time_min ? Date.parse(summary.time_min) / 1000 : null;
      const tmax = summary.time_max ? Date.parse(summary.time_max) / 1000 : null;
      const key = `${summary.store}|${summary.time_min}|${summary.time_max}|${JSON.stringify(summary.events_by_type)}`;
      data = await loadEvents(key, summary.event_types, tmin, tmax, abort.signal);
    } catch (err) {
      if (isAbort(err)) return;
      clear(statusEl);
      statusEl.append(errorBox(err, "load the events for the map"));
      return;
    }
    if (disposed) return;
    clear(statusEl);
    loadedEl.textContent = fmtInt(data.n);
    loadedEl.dataset.count = String(data.n);
    if (data.totalCount !== null && data.totalCount > data.n) {
      statusEl.append(h("div", { class: "warning", testid: "events-truncated" }, `Only the first ${fmtInt(data.n)} of ${fmtInt(data.totalCount)} events were loaded.`));
    }
    buildFilters(data, summary);
    redraw();
    mapHost.dataset.ready = "true";
  }
  void start();

  return () => {
    disposed = true;
    abort.abort();
    if (frame) cancelAnimationFrame(frame);
    resizer.disconnect();
    try {
      map.removeControl(overlay);
      overlay.finalize();
    } catch {
      /* already gone */
    }
    map.remove();
    delete (window as unknown as { sfMap?: unknown }).sfMap;
  };
}

function stat(label: string, value: string): HTMLElement {
  return h("div", { class: "stat" }, h("span", { class: "stat-value" }, value), h("span", { class: "stat-label" }, label));
}

/** True when WebGL is rendered on the CPU (SwiftShader, llvmpipe, software rasterizers). */
function softwareRenderer(): boolean {
  try {
    const gl = document.createElement("canvas").getContext("webgl2");
    if (!gl) return false;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i.test(renderer);
  } catch {
    return false;
  }
}

function titleCase(s: string): string {
  return s.replace(/\b\w/g, (c) => c.toUpperCase());
}

function centroid(geometry: GeoJSON.Geometry): [number, number] {
  let sx = 0;
  let sy = 0;
  let n = 0;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") {
      sx += c[0] as number;
      sy += c[1] as number;
      n++;
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  if ("coordinates" in geometry) visit(geometry.coordinates);
  return n ? [sx / n, sy / n] : [0, 0];
}
