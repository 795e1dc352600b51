// #/vessel/{id}: identity over time, risk and its evidence, sanctions matches, track map,
// voyages, exports, watch-list and notes.
import { apiUrl, canWrite, getJSON, getSummary, send } from "../api";
import { typeColor, typeLabel } from "../colors";
import { durationHours, fmtConfidence, fmtDate, fmtDuration, fmtInt, fmtNum, fmtShipType, fmtTime, fmtTonnes, toDate } from "../format";
import { TrackMap, coordsOf, mmsiOf, trackBounds } from "../trackmap";
import type { EventRow, Identity, Page, Profile, RiskReason, TrackCollection, VesselRow } from "../types";
import { bandBadge, clear, errorBox, eventLink, flagText, h, isAbort, loading, notify, reportError, sanctionedBadge, svg, table, vesselLink, vesselName, type Column } from "../ui";
import { notesSection } from "./notes";

export const INDICATORS: Record<string, string> = {
  sanctions_list: "Matches a sanctions list",
  sanctions_name: "Name resembles a listed vessel",
  deliberate_gap: "Likely deliberate AIS gaps",
  dark_port_call: "Possible dark calls at sanctioned ports",
  sanctioned_port_visit: "Visits to ports of sanctioned states",
  ship_to_ship: "Ship-to-ship transfers",
  encounter: "Meetings at sea",
  partner_listed: "Met a listed vessel",
  partner_high_risk: "Met a high-risk vessel",
  identity_change: "Identity changes",
  identity_anomaly: "Identity anomalies",
  flag_hopping: "Flag hopping",
  spoofing: "Position spoofing",
  high_risk_area: "High-risk areas",
  route_deviation: "Route deviations",
};

export function indicatorLabel(key: string): string {
  return INDICATORS[key] ?? key.replace(/_/g, " ");
}

export function mountVessel(root: HTMLElement, vesselId: string): () => void {
  const abort = new AbortController();
  let trackMap: TrackMap | null = null;
  let disposed = false;
  const page = h("div", { class: "page vessel-page", testid: "vessel-page" }, loading("Loading vessel…"));
  root.appendChild(page);

  async function load(): Promise<void> {
    let profile: Profile;
    try {
      [profile] = await Promise.all([getJSON<Profile>(`/api/vessels/${encodeURIComponent(vesselId)}`, undefined, abort.signal), getSummary().catch(() => null)]);
    } catch (err) {
      if (isAbort(err)) return;
      clear(page);
      page.append(errorBox(err, `load vessel ${vesselId}`), h("p", null, h("a", { href: "#/" }, "Back to the map")));
      return;
    }
    if (disposed) return;
    render(profile);
  }

  function render(p: Profile): void {
    clear(page);
    const v = p.vessel;
    document.title = `${vesselName(v)} · shadowfleet`;
    const mapHost = h("div", { class: "map-host small-map", testid: "vessel-map" });
    const mapInfo = h("div", { class: "map-info muted small", testid: "track-info" }, "Loading track…");
    const mmsiLegend = h("div", { class: "mmsi-legend" });
    const eventsBox = h("div", { testid: "vessel-events" }, loading("Loading events…"));

    page.append(
      headerCard(p),
      h(
        "div",
        { class: "vessel-grid" },
        h(
          "div",
          { class: "vessel-main" },
          riskSection(p),
          section("Sanctions matches", "sanctions-matches", sanctionsTable(p)),
          section("Events", "events-section", eventsBox),
          section("Voyages", "voyages", voyagesTable(p.voyages)),
          p.shipments.length ? section("Cargo shipments", "shipments", shipmentsTable(p.shipments, v.vessel_id, p.vessel_names ?? {})) : null,
          section("Analyst notes", "notes-section", notesSection("vessel", v.vessel_id, p.notes)),
        ),
        h(
          "div",
          { class: "vessel-side" },
          h("div", { class: "sticky" }, h("h2", null, "Track and events"), mapHost, h("div", { class: "map-legend" }, mmsiLegend, legendLine()), mapInfo),
        ),
      ),
    );

    // Map: the track at the zoom shown, re-requested when the zoom changes by ≥ 1.5.
    trackMap = new TrackMap(mapHost);
    const tm = trackMap;
    let trackZoom = -10;
    let trackAbort: AbortController | null = null;
    let first = true;
    const fetchTrack = async (zoom: number): Promise<void> => {
      trackAbort?.abort();
      trackAbort = new AbortController();
      const z = Math.max(0, Math.min(22, Math.round(zoom)));
      trackZoom = zoom;
      try {
        const fc = await getJSON<TrackCollection>(`/api/vessels/${encodeURIComponent(v.vessel_id)}/track`, { zoom: z }, trackAbort.signal);
        if (disposed) return;
        tm.setTrack({ key: "vessel", collection: fc, label: vesselName(v) });
        const s = fc.simplification;
        const mmsis = new Set(fc.features.map((f) => mmsiOf(f)));
        mapInfo.textContent = s
          ? `Track at zoom ${fmtNum(s.zoom, 0)}: ${fmtInt(s.points_out)} of ${fmtInt(s.positions_in)} positions drawn, ${fmtInt(fc.features.length)} stretches, ${fmtInt(mmsis.size)} MMSI${mmsis.size === 1 ? "" : "s"}.`
          : `${fmtInt(fc.features.length)} stretches.`;
        mapHost.dataset.points = String(s?.points_out ?? fc.features.reduce((a, f) => a + coordsOf(f).length, 0));
        mapHost.dataset.zoom = String(z);
        clear(mmsiLegend);
        for (const [mmsi, color] of tm.mmsiColors) {
          if (mmsis.has(mmsi)) mmsiLegend.append(h("span", { class: "legend-chip" }, h("span", { class: "line-swatch", style: `background:${color}` }), `MMSI ${mmsi}`));
        }
        if (first) {
          first = false;
          const b = trackBounds([fc]);
          if (b) {
            tm.fit(b, 10);
            // Refine for the zoom the fit gave.
            const fitted = tm.map.getZoom();
            if (Math.abs(fitted - zoom) >= 1.5) void fetchTrack(fitted);
          }
        }
        mapHost.dataset.ready = "true";
      } catch (err) {
        if (isAbort(err)) return;
        mapInfo.textContent = "";
        mapInfo.append(errorBox(err, "load the track"));
      }
    };
    void fetchTrack(4);
    tm.map.on("moveend", () => {
      if (Math.abs(tm.map.getZoom() - trackZoom) >= 1.5) void fetchTrack(tm.map.getZoom());
    });

    // Every event of the vessel (as the vessel or the other party).
    getJSON<Page<EventRow>>("/api/events", { vessel_id: v.vessel_id, limit: 1000 }, abort.signal)
      .then((pg) => {
        if (disposed) return;
        tm.setEvents(pg.items);
        clear(eventsBox);
        eventsBox.append(eventsTable(pg, v.vessel_id));
      })
      .catch((err) => {
        if (isAbort(err)) return;
        clear(eventsBox);
        eventsBox.append(errorBox(err, "load the vessel's events"));
      });
  }

  function headerCard(p: Profile): HTMLElement {
    const v = p.vessel;
    const watchBtn = h("button", { class: "button", testid: "watch-toggle" });
    let watched = p.watchlisted;
    const paint = (): void => {
      watchBtn.textContent = watched ? "★ On watch-list — remove" : "☆ Add to watch-list";
      watchBtn.dataset.watched = String(watched);
      watchBtn.classList.toggle("primary", !watched);
      const ok = canWrite();
      watchBtn.disabled = !ok;
      watchBtn.title = ok ? "" : "Read-only: a token is needed to change the watch-list (see the badge at the top right).";
    };
    paint();
    window.addEventListener("sf-access", paint);
    watchBtn.addEventListener("click", async () => {
      watchBtn.disabled = true;
      try {
        if (watched) {
          await send("DELETE", `/api/watchlist/${encodeURIComponent(v.vessel_id)}`);
          watched = false;
          notify(`${vesselName(v)} removed from the watch-list`);
        } else {
          await send("PUT", `/api/watchlist/${encodeURIComponent(v.vessel_id)}`, { note: "" });
          watched = true;
          notify(`${vesselName(v)} added to the watch-list`);
        }
      } catch (err) {
        reportError(err, watched ? "remove the vessel from the watch-list" : "add the vessel to the watch-list");
      } finally {
        paint();
      }
    });
    const names = [...new Set(p.identities.map((i) => i.name).filter((n): n is string => Boolean(n)))].filter((n) => n !== v.name);
    return h(
      "section",
      { class: "card vessel-head", testid: "vessel-header" },
      h(
        "div",
        { class: "vessel-head-main" },
      h(
        "div",
        { class: "vessel-title" },
        bandBadge(v.band, v.risk_score),
        h(
          "div",
          null,
          h("h1", { testid: "vessel-name" }, vesselName(v), " ", sanctionedBadge(v.sanctioned)),
          names.length ? h("div", { class: "muted" }, `also seen as ${names.join(", ")}`) : null,
        ),
      ),
      h(
        "dl",
        { class: "ident-grid" },
        kv("IMO", v.imo ? String(v.imo) : "–", "vessel-imo"),
        kv("MMSI", v.mmsi ? String(v.mmsi) : "–", "vessel-mmsi"),
        kv("Call sign", v.call_sign ?? "–"),
        kv("Flag", flagText(v.flag_iso2)),
        kv("Type", fmtShipType(v.ship_type)),
        kv("Seen", `${fmtTime(v.first_seen)} → ${fmtTime(v.last_seen)}`),
        kv("Positions", fmtInt(v.n_positions)),
        kv("Vessel id", v.vessel_id),
      ),
      h(
        "div",
        { class: "actions" },
        watchBtn,
        h("a", { class: "button", href: apiUrl(`/api/vessels/${encodeURIComponent(v.vessel_id)}/events`, { format: "csv" }), download: `${v.vessel_id}-events.csv`, testid: "export-csv" }, "⤓ Events CSV"),
        h("a", { class: "button", href: apiUrl(`/api/vessels/${encodeURIComponent(v.vessel_id)}/events`, { format: "geojson" }), download: `${v.vessel_id}-events.geojson`, testid: "export-geojson" }, "⤓ Events GeoJSON"),
      ),
      ),
      h("div", { class: "vessel-head-identity", testid: "identity-timeline" }, h("h3", null, "Identity over time"), identityTimeline(p.identities, v)),
    );
  }

  void load();
  return () => {
    disposed = true;
    abort.abort();
    trackMap?.destroy();
    document.title = "shadowfleet";
  };
}

function kv(k: string, v: string, testid?: string): HTMLElement[] {
  return [h("dt", null, k), h("dd", { testid: testid ?? null }, v)];
}

function section(title: string, testid: string, ...body: (Node | null)[]): HTMLElement {
  return h("section", { class: "card", testid }, h("h2", null, title), ...body);
}

function legendLine(): HTMLElement {
  return h(
    "div",
    { class: "legend-inline small" },
    h("span", { class: "legend-chip" }, h("span", { class: "line-swatch dashed" }), "silence ≥ 6 h"),
    ...["ais_gap", "encounter", "dark_port_call", "port_visit", "loitering", "spoofing"].map((t) =>
      h("span", { class: "legend-chip" }, h("span", { class: "swatch", style: `background:${typeColor(t)}` }), typeLabel(t)),
    ),
  );
}

// ---------------------------------------------------------------- risk
function riskSection(p: Profile): HTMLElement {
  const v = p.vessel;
  const total = p.risk_reasons.reduce((a, r) => a + r.points, 0);
  const body = h("div", { class: "reasons" });
  if (!p.risk_reasons.length) body.append(h("p", { class: "muted" }, "No risk indicator scored for this vessel."));
  for (const r of p.risk_reasons) body.append(reasonItem(r));
  return h(
    "section",
    { class: "card", testid: "risk-reasons" },
    h("h2", null, "Risk score ", h("span", { class: "score-inline" }, `${fmtNum(v.risk_score ?? 0, 0)} / 100`), " ", h("span", { class: `band-text band-${v.band}` }, v.band ?? "")),
    h("p", { class: "muted small" }, `The score is the sum of the points of each indicator${total > 100 ? ` (${fmtNum(total, 1)}), capped at 100` : ""}. Every point traces to the events or list entries below.`),
    body,
  );
}

function reasonItem(r: RiskReason & { list_entries?: string[] }): HTMLElement {
  const events = r.events ?? [];
  const entries = r.list_entries ?? r.event_ids.filter((id) => !events.some((e) => e.event_id === id));
  return h(
    "div",
    { class: "reason", testid: "risk-reason", "data-indicator": r.indicator },
    h(
      "div",
      { class: "reason-head" },
      h("span", { class: "reason-name" }, indicatorLabel(r.indicator)),
      h("span", { class: "reason-bar" }, h("span", { style: `width:${Math.min(100, r.points)}%` })),
      h("span", { class: "reason-points num" }, `+${fmtNum(r.points, 1)}`),
    ),
    events.length
      ? h(
          "ul",
          { class: "reason-events" },
          events.map((e) =>
            h(
              "li",
              null,
              h(
                "a",
                { href: `#/event/${encodeURIComponent(e.event_id)}`, testid: "reason-event-link", class: "event-link" },
                h("span", { class: "swatch", style: `background:${typeColor(e.event_type)}` }),
                `${typeLabel(e.event_type)}${e.subtype ? ` (${e.subtype.replace(/_/g, " ")})` : ""}`,
              ),
              h("span", { class: "muted" }, ` ${fmtTime(e.start_time)} · ${e.end_time ? fmtDuration(durationHours(e.start_time, e.end_time)) : "open"}${e.port_name ? ` · ${e.port_name}` : ""} · confidence ${fmtConfidence(e.confidence)}`),
            ),
          ),
        )
      : null,
    entries.length ? h("div", { class: "reason-entries small" }, "List entries: ", entries.map((id) => h("span", { class: "tag mono", testid: "list-entry" }, id))) : null,
  );
}

// ---------------------------------------------------------------- identity timeline
interface Segment {
  value: string;
  from: number;
  to: number;
}

const ID_ROWS: { key: keyof Identity; label: string; fmt?: (v: unknown) => string }[] = [
  { key: "name", label: "Name" },
  { key: "flag_iso2", label: "Flag" },
  { key: "mmsi", label: "MMSI" },
  { key: "imo", label: "IMO" },
  { key: "call_sign", label: "Call sign" },
  { key: "ship_type", label: "Type", fmt: (v) => fmtShipType(v as number) },
];
const SEG_COLORS = ["#2b6cb0", "#b7791f", "#2f855a", "#9b2c2c", "#6b46c1", "#2c7a7b", "#975a16", "#702459"];

function identityTimeline(ids: Identity[], v: VesselRow): HTMLElement {
  if (!ids.length) return h("p", { class: "muted" }, "No identity reports.");
  const times = ids.flatMap((i) => [toDate(i.valid_from)?.getTime(), toDate(i.valid_to)?.getTime()]).filter((t): t is number => t !== undefined);
  let t0 = Math.min(...times, toDate(v.first_seen)?.getTime() ?? Infinity);
  let t1 = Math.max(...times, toDate(v.last_seen)?.getTime() ?? -Infinity);
  if (!(t1 > t0)) {
    t0 -= 3.6e6;
    t1 += 3.6e6;
  }
  const W = 640;
  const labelW = 72;
  const rowH = 22;
  const top = 20;
  const rightW = 58;
  const x = (t: number): number => labelW + ((t - t0) / (t1 - t0)) * (W - labelW - rightW);
  const rows = ID_ROWS.map((row) => {
    const segs: Segment[] = [];
    for (const i of [...ids].sort((a, b) => String(a.valid_from).localeCompare(String(b.valid_from)))) {
      const raw = i[row.key];
      const value = raw === null || raw === undefined || raw === "" ? "—" : row.fmt ? row.fmt(raw) : String(raw);
      const from = toDate(i.valid_from)?.getTime() ?? t0;
      const to = toDate(i.valid_to)?.getTime() ?? t1;
      const last = segs[segs.length - 1];
      if (last && last.value === value) last.to = Math.max(last.to, to);
      else segs.push({ value, from, to });
    }
    return { ...row, segs };
  });
  const H = top + rows.length * rowH + 6;
  const root = svg("svg", { class: "timeline", viewBox: `0 0 ${W} ${H}`, width: W, role: "img", "aria-label": "identity timeline" });
  // Day ticks.
  const days = (t1 - t0) / 8.64e7;
  const stepDays = days <= 10 ? 1 : days <= 30 ? 5 : days <= 120 ? 15 : days <= 400 ? 30 : 90;
  const first = new Date(t0);
  first.setUTCHours(0, 0, 0, 0);
  for (let t = first.getTime(); t <= t1; t += stepDays * 8.64e7) {
    if (t < t0) continue;
    const xx = x(t);
    root.appendChild(svg("line", { x1: xx, x2: xx, y1: top - 4, y2: H, class: "tick" }));
    root.appendChild(svg("text", { x: xx + 2, y: 12, class: "tick-label" }, new Date(t).toISOString().slice(5, 10)));
  }
  rows.forEach((row, r) => {
    const y = top + r * rowH;
    root.appendChild(svg("text", { x: 0, y: y + 14, class: "row-label" }, row.label));
    const palette = new Map<string, string>();
    row.segs.forEach((s) => {
      if (!palette.has(s.value)) palette.set(s.value, s.value === "—" ? "#3a4654" : SEG_COLORS[palette.size % SEG_COLORS.length]);
      const x0 = x(s.from);
      const w = Math.max(2, x(s.to) - x0);
      const g = svg("g", { class: "seg", "data-value": s.value });
      g.appendChild(svg("title", {}, `${row.label}: ${s.value}\n${fmtTime(s.from / 1000)} → ${fmtTime(s.to / 1000)}`));
      g.appendChild(svg("rect", { x: x0, y: y + 2, width: w, height: rowH - 6, rx: 3, fill: palette.get(s.value)! }));
      const maxChars = Math.floor((w - 8) / 6.6);
      if (maxChars >= 3) {
        const text = s.value.length > maxChars ? `${s.value.slice(0, maxChars - 1)}…` : s.value;
        g.appendChild(svg("text", { x: x0 + 5, y: y + 14, class: "seg-label" }, text));
      }
      root.appendChild(g);
    });
    const changes = new Set(row.segs.map((s) => s.value)).size;
    if (changes > 1) {
      root.appendChild(svg("text", { x: W - 2, y: y + 14, class: "changed", "text-anchor": "end" }, `${changes} values`));
      root.appendChild(svg("circle", { cx: labelW - 8, cy: y + 10, r: 3, class: "changed-dot" }));
    }
  });
  const cols: Column<Identity>[] = [
    { key: "from", title: "From", render: (i) => fmtTime(i.valid_from) },
    { key: "to", title: "To", render: (i) => fmtTime(i.valid_to) },
    { key: "name", title: "Name", render: (i) => i.name ?? "–" },
    { key: "flag", title: "Flag", render: (i) => flagText(i.flag_iso2) },
    { key: "mmsi", title: "MMSI", render: (i) => (i.mmsi ? String(i.mmsi) : "–") },
    { key: "imo", title: "IMO", render: (i) => (i.imo ? String(i.imo) : "–") },
    { key: "cs", title: "Call sign", render: (i) => i.call_sign ?? "–" },
    { key: "dim", title: "Length × beam", render: (i) => (i.length_m ? `${fmtInt(i.length_m)} × ${fmtInt(i.beam_m ?? null)} m` : "–") },
  ];
  return h("div", null, root, h("details", { class: "small" }, h("summary", null, `${fmtInt(ids.length)} identity periods`), table(cols, ids, { testid: "identity-table" })));
}

// ---------------------------------------------------------------- tables
function sanctionsTable(p: Profile): HTMLElement {
  return table(
    [
      { key: "listed", title: "Listed name", render: (m) => m.listed_name ?? "–" },
      { key: "lists", title: "Lists", render: (m) => (m.lists ?? []).join(", ") },
      { key: "entry", title: "Entry", render: (m) => h("span", { class: "mono" }, (m.entry_ids ?? []).join(", ") || m.key || "–") },
      { key: "on", title: "Matched on", render: (m) => m.matched_on ?? "–" },
      { key: "value", title: "Vessel value", render: (m) => m.matched_value ?? "–" },
      { key: "listed_value", title: "Listed value", render: (m) => m.listed_value ?? "–" },
      { key: "score", title: "Score", numeric: true, render: (m) => fmtNum(m.score ?? null, 2) },
      { key: "period", title: "While using it", render: (m) => `${fmtTime(m.valid_from)} → ${fmtTime(m.valid_to)}` },
    ],
    p.sanctions_matches,
    { testid: "sanctions-table", empty: "No match against the sanctions lists." },
  );
}

function eventsTable(pg: Page<EventRow>, vesselId: string): HTMLElement {
  const rows = [...pg.items].sort((a, b) => String(a.start_time).localeCompare(String(b.start_time)));
  const counts = new Map<string, number>();
  for (const e of rows) counts.set(e.event_type, (counts.get(e.event_type) ?? 0) + 1);
  const chips = h(
    "div",
    { class: "legend-inline" },
    [...counts].map(([t, n]) => h("span", { class: "legend-chip" }, h("span", { class: "swatch", style: `background:${typeColor(t)}` }), `${typeLabel(t)} ${fmtInt(n)}`)),
  );
  const tbl = table(
    [
      { key: "type", title: "Event", render: (e) => h("span", null, h("span", { class: "swatch", style: `background:${typeColor(e.event_type)}` }), eventLink(e.event_id, typeLabel(e.event_type))) },
      { key: "sub", title: "Subtype", render: (e) => (e.subtype ?? "").replace(/_/g, " ") },
      { key: "start", title: "Start", render: (e) => fmtTime(e.start_time, false) },
      { key: "dur", title: "Duration", render: (e) => (e.end_time ? fmtDuration(durationHours(e.start_time, e.end_time)) : "open") },
      { key: "where", title: "Port / place", render: (e) => e.port_name ?? "" },
      {
        key: "other",
        title: "Other vessel",
        render: (e) =>
          e.other_vessel_id === vesselId
            ? vesselLink(e.vessel_id, e.vessel_name ?? e.vessel_id)
            : e.other_vessel_id || e.other_mmsi
              ? vesselLink(e.other_vessel_id, e.other_vessel_name || (e.other_mmsi ? `MMSI ${e.other_mmsi}` : null))
              : "",
      },
      { key: "conf", title: "Conf.", numeric: true, render: (e) => fmtConfidence(e.confidence) },
    ],
    rows,
    { testid: "events-table", empty: "No events." },
  );
  return h(
    "div",
    null,
    chips,
    pg.total > pg.items.length ? h("p", { class: "warning" }, `Showing ${fmtInt(pg.items.length)} of ${fmtInt(pg.total)} events; the exports hold all of them.`) : null,
    h("div", { class: "scroll-box" }, tbl),
  );
}

function place(kind: unknown, port: unknown, country: unknown): string {
  const k = String(kind ?? "");
  const where = [port, country].filter(Boolean).join(", ");
  return where ? `${where}${k && k !== "port_visit" ? ` (${k.replace(/_/g, " ")})` : ""}` : k.replace(/_/g, " ") || "–";
}

function voyagesTable(rows: Record<string, unknown>[]): HTMLElement {
  return table(
    [
      { key: "from", title: "From", render: (r) => place(r.origin_kind, r.origin_port, r.origin_country) },
      { key: "dep", title: "Departed", render: (r) => fmtTime(r.departure_time as string, false) },
      { key: "to", title: "To", render: (r) => (r.destination_kind ? place(r.destination_kind, r.destination_port, r.destination_country) : "under way") },
      { key: "arr", title: "Arrived", render: (r) => fmtTime(r.arrival_time as string, false) },
      { key: "state", title: "State", render: (r) => String(r.state ?? "–") },
      { key: "draught", title: "Draught", numeric: true, render: (r) => (r.draught_m === null || r.draught_m === undefined ? "–" : `${fmtNum(r.draught_m as number, 1)} m`) },
      { key: "loaded", title: "Loaded", numeric: true, render: (r) => fmtTonnes(r.loaded_t as number | null) },
      { key: "disch", title: "Discharged", numeric: true, render: (r) => fmtTonnes(r.discharged_t as number | null) },
    ],
    rows,
    { testid: "voyages-table", empty: "No voyages between stops." },
  );
}

export function shipmentsTable(rows: Record<string, unknown>[], self: string, names: Record<string, string | null>): HTMLElement {
  const vessel = (id: unknown): unknown => (id ? (id === self ? "this vessel" : vesselLink(String(id), names[String(id)] || String(id), "shipment-vessel-link")) : "–");
  return table(
    [
      { key: "loaded_by", title: "Loaded by", render: (r) => vessel(r.loaded_by) as never },
      { key: "carrier", title: "Carrier", render: (r) => vessel(r.carrier) as never },
      { key: "pattern", title: "Pattern", render: (r) => String(r.pattern ?? "").replace(/_/g, " ") },
      { key: "origin", title: "Origin", render: (r) => place(r.origin_kind, r.origin_port, r.origin_country) },
      { key: "load", title: "Loaded", render: (r) => fmtDate(r.load_end as string) },
      { key: "dest", title: "Destination", render: (r) => place(r.destination_kind, r.destination_port, r.destination_country) },
      { key: "disch", title: "Discharged", render: (r) => fmtDate(r.discharge_end as string) },
      { key: "t", title: "Tonnes (low – mid – high)", numeric: true, render: (r) => `${fmtInt(r.tonnes_low as number)} – ${fmtInt(r.tonnes_mid as number)} – ${fmtInt(r.tonnes_high as number)}` },
      { key: "method", title: "Method", render: (r) => String(r.method ?? "–") },
    ],
    rows,
    { testid: "shipments-table", empty: "No shipments." },
  );
}
