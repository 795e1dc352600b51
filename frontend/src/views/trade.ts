// #/trade: the estimate of one flow (tonnes and value bands, per month, turnaround,
// shipments) and the trade_flows table.
import { getJSON } from "../api";
import { fmtDate, fmtInt, fmtNum, fmtTonnes, fmtUsd } from "../format";
import type { Page, Row, TradeEstimate, VesselRow } from "../types";
import { clear, errorBox, h, isAbort, loading, svg, table, vesselLink } from "../ui";

interface Bar {
  label: string;
  sub: string;
  low: number;
  mid: number;
  high: number;
}

let namesCache: Promise<Map<string, string>> | null = null;

/** Vessel names by id (the first 5,000 vessels by risk; ids stay when a name is missing). */
function vesselNames(): Promise<Map<string, string>> {
  if (!namesCache) {
    namesCache = (async () => {
      const names = new Map<string, string>();
      for (let offset = 0; offset < 5000; offset += 1000) {
        const page = await getJSON<Page<VesselRow>>("/api/vessels", { limit: 1000, offset });
        for (const v of page.items) names.set(v.vessel_id, v.name || (v.mmsi ? `MMSI ${v.mmsi}` : v.vessel_id));
        if (offset + page.items.length >= page.total || !page.items.length) break;
      }
      return names;
    })();
    namesCache.catch(() => {
      namesCache = null;
    });
  }
  return namesCache;
}

export function mountTrade(root: HTMLElement, params: URLSearchParams): () => void {
  const abort = new AbortController();
  const q = {
    origin: (params.get("origin") ?? "KP").toUpperCase(),
    destination: (params.get("destination") ?? "CN").toUpperCase(),
    commodity: params.get("commodity") ?? "coal",
    price: params.get("price") ?? "80:100",
  };
  const origin = h("input", { type: "text", value: q.origin, maxlength: 2, size: 3, testid: "trade-origin", pattern: "[A-Za-z]{2}", required: true, title: "ISO 3166-1 alpha-2" });
  const destination = h("input", { type: "text", value: q.destination, maxlength: 2, size: 3, testid: "trade-destination", pattern: "[A-Za-z]{2}", required: true, title: "ISO 3166-1 alpha-2" });
  const commodity = h("input", { type: "text", value: q.commodity, size: 10, testid: "trade-commodity", required: true });
  const price = h("input", { type: "text", value: q.price, size: 9, testid: "trade-price", pattern: "\\d+(\\.\\d+)?(:\\d+(\\.\\d+)?)?", title: "LOW:HIGH US$ per tonne" });
  const form = h(
    "form",
    { class: "trade-form", testid: "trade-form" },
    h("label", null, "Origin country", origin),
    h("label", null, "Destination country", destination),
    h("label", null, "Commodity", commodity),
    h("label", null, "Price band US$/t", price),
    h("button", { class: "button primary", type: "submit", testid: "trade-submit" }, "Estimate"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams({ origin: origin.value.trim().toUpperCase(), destination: destination.value.trim().toUpperCase(), commodity: commodity.value.trim(), price: price.value.trim() });
    const target = `#/trade?${next}`;
    if (window.location.hash === target) void load();
    else window.location.hash = target;
  });
  const result = h("div", { testid: "trade-result" });
  const flowsBox = h("div", { testid: "trade-flows" });
  root.appendChild(
    h(
      "div",
      { class: "page trade-page", testid: "trade-page" },
      h("section", { class: "card" }, h("h1", null, "Trade estimate"), h("p", { class: "muted" }, "Cargo followed from loading to discharge, from draughts and hull sizes; low–high is the uncertainty band of every shipment summed. AIS does not carry the commodity: it is the one declared for the flow."), form),
      result,
      h("section", { class: "card" }, h("h2", null, "Trade flows (all shipments of the store)"), flowsBox),
    ),
  );

  async function load(): Promise<void> {
    clear(result);
    result.append(loading("Estimating…"));
    try {
      const est = await getJSON<TradeEstimate>("/api/trade/estimate", { origin_country: q.origin, destination_country: q.destination, commodity: q.commodity, price_usd_per_t: q.price }, abort.signal);
      // Servers older than `vessel_names` in the estimate: name vessels from the list.
      const names = est.vessel_names
        ? new Map(Object.entries(est.vessel_names).filter((e): e is [string, string] => Boolean(e[1])))
        : await vesselNames().catch(() => new Map<string, string>());
      clear(result);
      renderEstimate(est, names);
    } catch (err) {
      if (isAbort(err)) return;
      clear(result);
      result.append(errorBox(err, "compute the trade estimate"));
    }
  }

  function renderEstimate(est: TradeEstimate, names: Map<string, string>): void {
    const flow = `${est.origin_country} → ${est.destination_country}, ${est.commodity}`;
    const priceText = est.price_usd_per_t.low === est.price_usd_per_t.high ? `US$${fmtInt(est.price_usd_per_t.low)}/t` : `US$${fmtInt(est.price_usd_per_t.low)}–${fmtInt(est.price_usd_per_t.high)}/t`;
    const noPrice = est.price_usd_per_t.high === 0;
    result.append(
      h(
        "section",
        { class: "card", testid: "trade-headline" },
        h("h2", null, flow),
        h(
          "div",
          { class: "headline" },
          h(
            "div",
            { class: "headline-main" },
            h("div", { class: "headline-label" }, "Tonnes (mid)"),
            h("div", { class: "headline-value", testid: "trade-tonnes-mid", "data-value": String(est.tonnes.mid) }, fmtTonnes(est.tonnes.mid)),
            h("div", { class: "headline-sub", testid: "trade-tonnes-band" }, `low ${fmtTonnes(est.tonnes.low)} · high ${fmtTonnes(est.tonnes.high)}`),
          ),
          h(
            "div",
            { class: "headline-main" },
            h("div", { class: "headline-label" }, "Value"),
            h("div", { class: "headline-value", testid: "trade-value" }, noPrice ? "–" : `${fmtUsd(est.value_usd.low)} – ${fmtUsd(est.value_usd.high)}`),
            h("div", { class: "headline-sub" }, noPrice ? "no price band given" : `low tonnes × ${fmtInt(est.price_usd_per_t.low)}, high tonnes × ${fmtInt(est.price_usd_per_t.high)} (${priceText})`),
          ),
          h("div", { class: "headline-main" }, h("div", { class: "headline-label" }, "Shipments"), h("div", { class: "headline-value", testid: "trade-voyages" }, fmtInt(est.voyages)), h("div", { class: "headline-sub" }, `by ${fmtInt(est.vessels)} vessels`)),
        ),
        extraNotes(est),
      ),
      chartSection(est),
      h("section", { class: "card" }, h("h2", null, "Turnaround"), turnaroundTable(est)),
      h("section", { class: "card" }, h("h2", null, `Shipments (${fmtInt(est.shipments.length)})`), shipments(est.shipments, names, "trade-shipments-table")),
    );
  }

  async function loadFlows(): Promise<void> {
    clear(flowsBox);
    flowsBox.append(loading());
    try {
      const { items } = await getJSON<{ items: Row[] }>("/api/trade/flows", undefined, abort.signal);
      clear(flowsBox);
      const only = h("input", { type: "checkbox", checked: true, testid: "flows-only-pair" });
      const holder = h("div");
      const paint = (): void => {
        clear(holder);
        const rows = only.checked ? items.filter((r) => r.origin_country === q.origin && r.destination_country === q.destination) : items;
        holder.append(flowsTable(rows));
      };
      only.addEventListener("change", paint);
      flowsBox.append(h("label", { class: "check small" }, only, ` only ${q.origin} → ${q.destination} (${fmtInt(items.filter((r) => r.origin_country === q.origin && r.destination_country === q.destination).length)} of ${fmtInt(items.length)} rows)`), holder);
      paint();
    } catch (err) {
      if (isAbort(err)) return;
      clear(flowsBox);
      flowsBox.append(errorBox(err, "load the trade flows"));
    }
  }

  void load();
  void loadFlows();
  return () => abort.abort();
}

function extraNotes(est: TradeEstimate): HTMLElement | null {
  const parts: string[] = [];
  if (est.arrived_not_discharged?.voyages) parts.push(`${fmtInt(est.arrived_not_discharged.voyages)} more shipment${est.arrived_not_discharged.voyages === 1 ? "" : "s"} (${fmtTonnes(est.arrived_not_discharged.tonnes_mid)} mid) reached ${est.destination_country} but their discharge was not seen: not counted.`);
  if (est.unknown_origin?.voyages) parts.push(`${fmtInt(est.unknown_origin.voyages)} shipment${est.unknown_origin.voyages === 1 ? "" : "s"} (${fmtTonnes(est.unknown_origin.tonnes_mid)} mid) discharged in ${est.destination_country} with no loading seen: not counted.`);
  return parts.length ? h("ul", { class: "muted small notes-list" }, parts.map((p) => h("li", null, p))) : null;
}

// ---------------------------------------------------------------- chart
function weekKey(iso: string): string {
  const d = new Date(iso);
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  d.setUTCDate(d.getUTCDate() - day);
  return d.toISOString().slice(0, 10);
}

function weeklyBars(est: TradeEstimate): Bar[] {
  const byWeek = new Map<string, Bar & { n: number }>();
  for (const s of est.shipments) {
    const when = (s.load_end ?? s.load_start) as string | null;
    if (!when) continue;
    const k = weekKey(when);
    const b = byWeek.get(k) ?? { label: `wk ${k.slice(5)}`, sub: "", low: 0, mid: 0, high: 0, n: 0 };
    b.low += Number(s.tonnes_low ?? 0);
    b.mid += Number(s.tonnes_mid ?? 0);
    b.high += Number(s.tonnes_high ?? 0);
    b.n++;
    byWeek.set(k, b);
  }
  return [...byWeek.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, b]) => ({ ...b, sub: `${fmtInt(b.n)} shipm.` }));
}

function chartSection(est: TradeEstimate): HTMLElement {
  const monthly: Bar[] = est.by_month.map((m) => ({ label: m.month, sub: `${fmtInt(m.voyages)} shipm.`, low: m.tonnes.low, mid: m.tonnes.mid, high: m.tonnes.high }));
  const holder = h("div", { class: "chart-holder" });
  const byMonth = h("button", { class: "seg-button active", type: "button", testid: "chart-by-month" }, "per month");
  const byWeek = h("button", { class: "seg-button", type: "button", testid: "chart-by-week" }, "per week");
  const show = (week: boolean): void => {
    byMonth.classList.toggle("active", !week);
    byWeek.classList.toggle("active", week);
    clear(holder);
    holder.append(barChart(week ? weeklyBars(est) : monthly, week ? "week of loading" : "month of loading"));
  };
  byMonth.addEventListener("click", () => show(false));
  byWeek.addEventListener("click", () => show(true));
  show(false);
  return h(
    "section",
    { class: "card" },
    h("div", { class: "card-head" }, h("h2", null, "Tonnes loaded over time"), h("div", { class: "seg-group" }, byMonth, byWeek)),
    holder,
    h("p", { class: "muted small" }, "Bar: mid estimate; whisker: low–high band. By the time loading ended."),
  );
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

function fmtAxis(v: number): string {
  if (v >= 1e6) return `${fmtNum(v / 1e6, v % 1e6 ? 1 : 0)} Mt`;
  if (v >= 1e3) return `${fmtInt(v / 1e3)} kt`;
  return `${fmtInt(v)} t`;
}

export function barChart(bars: Bar[], xTitle: string): Element {
  if (!bars.length) return h("p", { class: "muted empty", testid: "trade-chart-empty" }, "No shipments in this flow.");
  const W = 900;
  const H = 300;
  const m = { l: 70, r: 20, t: 24, b: 52 };
  const max = Math.max(...bars.map((b) => Math.max(b.high, b.mid)), 1);
  const step = niceStep(max, 5);
  const top = Math.ceil(max / step) * step;
  const y = (v: number): number => m.t + (1 - v / top) * (H - m.t - m.b);
  const slot = (W - m.l - m.r) / bars.length;
  const bw = Math.min(90, slot * 0.6);
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "tonnes per period", "data-testid": "trade-chart" });
  for (let v = 0; v <= top + 1e-9; v += step) {
    root.appendChild(svg("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: "grid" }));
    root.appendChild(svg("text", { x: m.l - 8, y: y(v) + 4, class: "axis-label", "text-anchor": "end" }, fmtAxis(v)));
  }
  bars.forEach((b, i) => {
    const cx = m.l + slot * (i + 0.5);
    const g = svg("g", { class: "bar", "data-testid": "trade-bar", "data-mid": String(b.mid) });
    g.appendChild(svg("title", {}, `${b.label}: ${fmtTonnes(b.mid)} (low ${fmtTonnes(b.low)}, high ${fmtTonnes(b.high)}), ${b.sub}`));
    g.appendChild(svg("rect", { x: cx - bw / 2, y: y(b.mid), width: bw, height: Math.max(0, y(0) - y(b.mid)), class: "bar-mid" }));
    // Error bar low–high.
    g.appendChild(svg("line", { x1: cx, x2: cx, y1: y(b.low), y2: y(b.high), class: "whisker" }));
    g.appendChild(svg("line", { x1: cx - bw / 4, x2: cx + bw / 4, y1: y(b.low), y2: y(b.low), class: "whisker" }));
    g.appendChild(svg("line", { x1: cx - bw / 4, x2: cx + bw / 4, y1: y(b.high), y2: y(b.high), class: "whisker" }));
    g.appendChild(svg("text", { x: cx + bw / 4 + 4, y: y(b.high) + 4, class: "bar-value" }, fmtAxis(b.high)));
    g.appendChild(svg("text", { x: cx + bw / 2 + 4, y: y(b.mid) + 14, class: "bar-value mid" }, fmtTonnes(b.mid)));
    g.appendChild(svg("text", { x: cx, y: H - m.b + 18, class: "axis-label", "text-anchor": "middle" }, b.label));
    g.appendChild(svg("text", { x: cx, y: H - m.b + 32, class: "axis-sub", "text-anchor": "middle" }, b.sub));
    root.appendChild(g);
  });
  root.appendChild(svg("line", { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: "axis" }));
  root.appendChild(svg("text", { x: (W + m.l) / 2, y: H - 4, class: "axis-title", "text-anchor": "middle" }, xTitle));
  return root;
}

// ---------------------------------------------------------------- tables
function turnaroundTable(est: TradeEstimate): HTMLElement {
  return table(
    [
      { key: "pattern", title: "Route pattern", render: (r) => r.pattern.replace(/_/g, " ") },
      { key: "voyages", title: "Shipments", numeric: true, render: (r) => fmtInt(r.voyages) },
      { key: "t", title: "Tonnes (mid)", numeric: true, render: (r) => fmtTonnes(r.tonnes_mid) },
      { key: "transit", title: "Median transit", numeric: true, title_hint: "end of loading to end of discharge", render: (r) => (r.median_transit_days === null ? "–" : `${fmtNum(r.median_transit_days, 1)} d`) },
      { key: "round", title: "Median round trip", numeric: true, title_hint: "between one vessel's consecutive loadings", render: (r) => (r.median_round_trip_days === null ? "–" : `${fmtNum(r.median_round_trip_days, 1)} d`) },
    ],
    est.turnaround,
    { testid: "turnaround-table", empty: "No shipments." },
  );
}

function shipments(rows: Row[], names: Map<string, string>, testid: string): HTMLElement {
  const vessel = (id: unknown): Node | string => {
    if (!id) return "–";
    const s = String(id);
    return vesselLink(s, names.get(s) ?? s, "shipment-vessel-link") as Node;
  };
  const via = (r: Row): (Node | string)[] => {
    const ids = String(r.via_vessels ?? "").split(",").filter(Boolean).filter((x) => x !== r.carrier);
    return ids.flatMap((x, i) => (i ? [", ", vessel(x)] : [vessel(x)]));
  };
  return h(
    "div",
    { class: "scroll-box" },
    table(
      [
        { key: "loaded_by", title: "Loaded by", render: (r) => vessel(r.loaded_by) },
        { key: "carrier", title: "Discharged by", render: (r) => vessel(r.carrier) },
        { key: "via", title: "Via", render: (r) => via(r) },
        { key: "pattern", title: "Pattern", render: (r) => String(r.pattern ?? "").replace(/_/g, " ") },
        { key: "origin", title: "Loaded at", render: (r) => `${r.origin_port ?? "?"}${r.origin_kind && r.origin_kind !== "port_visit" ? ` (${String(r.origin_kind).replace(/_/g, " ")})` : ""}` },
        { key: "load_end", title: "Loaded", render: (r) => fmtDate(r.load_end as string) },
        { key: "dest", title: "Discharged at", render: (r) => `${r.destination_port ?? "?"}${r.destination_kind && r.destination_kind !== "port_visit" ? ` (${String(r.destination_kind).replace(/_/g, " ")})` : ""}` },
        { key: "disch", title: "Discharged", render: (r) => fmtDate(r.discharge_end as string) },
        { key: "low", title: "Low", numeric: true, render: (r) => fmtTonnes(r.tonnes_low as number) },
        { key: "mid", title: "Mid", numeric: true, render: (r) => fmtTonnes(r.tonnes_mid as number) },
        { key: "high", title: "High", numeric: true, render: (r) => fmtTonnes(r.tonnes_high as number) },
        { key: "method", title: "Method", render: (r) => String(r.method ?? "–").replace(/_/g, " ") },
      ],
      rows,
      { testid, empty: "No shipments.", rowTestid: "shipment-row" },
    ),
  );
}

function flowsTable(rows: Row[]): HTMLElement {
  return h(
    "div",
    { class: "scroll-box" },
    table(
      [
        { key: "month", title: "Month", render: (r) => String(r.month ?? "").slice(0, 7) },
        { key: "o", title: "Origin", render: (r) => `${r.origin_port ?? "?"}, ${r.origin_country ?? "?"}` },
        { key: "d", title: "Destination", render: (r) => `${r.destination_port ?? "?"}, ${r.destination_country ?? "?"}` },
        { key: "c", title: "Commodity", render: (r) => String(r.commodity ?? "–") },
        { key: "v", title: "Shipments", numeric: true, render: (r) => fmtInt(r.voyages as number) },
        { key: "t", title: "Tonnes low – mid – high", numeric: true, render: (r) => `${fmtInt(r.tonnes_low as number)} – ${fmtInt(r.tonnes_mid as number)} – ${fmtInt(r.tonnes_high as number)}` },
        { key: "usd", title: "Value", numeric: true, render: (r) => (r.value_usd_low === null || r.value_usd_low === undefined ? "–" : `${fmtUsd(r.value_usd_low as number)} – ${fmtUsd(r.value_usd_high as number)}`) },
      ],
      rows,
      { testid: "trade-flows-table", empty: "No trade flows for this pair." },
    ),
  );
}
