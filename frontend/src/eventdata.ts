// The map's events, decoded once from the Arrow stream into typed arrays that deck.gl
// uploads as binary attributes; filters only rewrite small arrays or uniforms.
import type { Table, Vector } from "apache-arrow";
import { getArrow } from "./api";
import { hexToRgb, typeColor, typePriority } from "./colors";

export interface EventData {
  n: number;
  totalCount: number | null;
  types: string[];
  /** Drawing order: draw slot -> row of the Arrow table (important types last, on top). */
  order: Uint32Array;
  /** Per row. */
  codes: Uint8Array;
  start: Float64Array;
  end: Float64Array;
  confidence: Float32Array;
  /** Per draw slot. */
  positions: Float32Array;
  colors: Uint8Array;
  /** Per draw slot, 4 values: start - origin, end - origin (open = +1e12), confidence (none = 2, always passes), mask (type shown and confidence rule). */
  filterValues: Float32Array;
  origin: number;
  timeMin: number;
  timeMax: number;
  eventIds: Vector;
  vesselIds: Vector;
  /** Dictionary-encoded subtypes (absent from servers older than the column). */
  subtypes: Vector | null;
  countsByType: Int32Array;
}

function column<T = unknown>(table: Table, name: string): Vector<any> & { toArray(): T } {
  const col = table.getChild(name);
  if (!col) throw new Error(`the map's Arrow stream has no column "${name}"`);
  return col as Vector<any> & { toArray(): T };
}

function asFloat64(values: ArrayLike<number>): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
}

export const NO_CONFIDENCE = 2;
export const OPEN_END = 1e12;

export function decodeEvents(table: Table, types: string[], totalCount: number | null, timeMinS: number | null, timeMaxS: number | null): EventData {
  const n = table.numRows;
  const codesRaw = column<ArrayLike<number>>(table, "event_type_code").toArray();
  const codes = codesRaw instanceof Uint8Array ? codesRaw : Uint8Array.from(codesRaw);
  const lat = column<ArrayLike<number>>(table, "lat").toArray();
  const lon = column<ArrayLike<number>>(table, "lon").toArray();
  const start = asFloat64(column<ArrayLike<number>>(table, "start_s").toArray());
  const end = asFloat64(column<ArrayLike<number>>(table, "end_s").toArray());
  const confRaw = column<ArrayLike<number>>(table, "confidence").toArray();
  const confidence = confRaw instanceof Float32Array ? confRaw : Float32Array.from(confRaw);
  // Arrow nulls (rather than NaN) would read as 0: honour the validity bitmaps.
  const confCol = table.getChild("confidence");
  const endCol = table.getChild("end_s");
  if (confCol && confCol.nullCount > 0) for (let i = 0; i < n; i++) if (!confCol.isValid(i)) confidence[i] = NaN;
  if (endCol && endCol.nullCount > 0) for (let i = 0; i < n; i++) if (!endCol.isValid(i)) end[i] = NaN;

  let tmin = Infinity;
  let tmax = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = start[i];
    if (s < tmin) tmin = s;
    const e = Number.isNaN(end[i]) ? s : end[i];
    if (e > tmax) tmax = e;
  }
  if (timeMinS !== null && Number.isFinite(timeMinS)) tmin = Math.min(tmin, timeMinS);
  if (timeMaxS !== null && Number.isFinite(timeMaxS)) tmax = Math.max(tmax, timeMaxS);
  if (!Number.isFinite(tmin)) {
    tmin = 0;
    tmax = 1;
  }
  const origin = tmin;

  // Sort draw slots by type priority (counting sort over the small type vocabulary).
  const priorities = types.map((t) => typePriority(t));
  const ranked = types.map((_, i) => i).sort((a, b) => priorities[a] - priorities[b] || a - b);
  const rankOf = new Int32Array(256).fill(ranked.length);
  ranked.forEach((code, r) => (rankOf[code] = r));
  const buckets = new Int32Array(ranked.length + 2);
  const countsByType = new Int32Array(Math.max(types.length, 1));
  for (let i = 0; i < n; i++) {
    buckets[rankOf[codes[i]] + 1]++;
    if (codes[i] < countsByType.length) countsByType[codes[i]]++;
  }
  for (let r = 1; r < buckets.length; r++) buckets[r] += buckets[r - 1];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[buckets[rankOf[codes[i]]]++] = i;

  const rgb = types.map((t, i) => hexToRgb(typeColor(t, i)));
  const positions = new Float32Array(n * 2);
  const colors = new Uint8Array(n * 4);
  const filterValues = new Float32Array(n * 4);
  for (let slot = 0; slot < n; slot++) {
    const i = order[slot];
    positions[slot * 2] = lon[i];
    positions[slot * 2 + 1] = lat[i];
    const c = rgb[codes[i]] ?? [200, 200, 200];
    const conf = confidence[i];
    colors[slot * 4] = c[0];
    colors[slot * 4 + 1] = c[1];
    colors[slot * 4 + 2] = c[2];
    // Less confident events are drawn fainter.
    colors[slot * 4 + 3] = Number.isNaN(conf) ? 210 : Math.round(90 + 165 * Math.max(0, Math.min(1, conf)));
    filterValues[slot * 4] = start[i] - origin;
    filterValues[slot * 4 + 1] = Number.isNaN(end[i]) ? OPEN_END : end[i] - origin;
    filterValues[slot * 4 + 2] = Number.isNaN(conf) ? NO_CONFIDENCE : conf;
    filterValues[slot * 4 + 3] = 1;
  }
  return {
    n,
    totalCount,
    types,
    order,
    codes,
    start,
    end,
    confidence,
    positions,
    colors,
    filterValues,
    origin,
    timeMin: tmin,
    timeMax: tmax,
    eventIds: column(table, "event_id"),
    vesselIds: column(table, "vessel_id"),
    subtypes: table.getChild("subtype"),
    countsByType,
  };
}

export interface Filters {
  enabled: boolean[];
  minConfidence: number;
  includeNoConfidence: boolean;
  /** Epoch seconds. */
  from: number;
  to: number;
}

/** A copy of the filter values with the mask column rewritten: the event's type is shown
 * and, when it has no confidence, events without one are included. */
export function withMask(data: EventData, enabled: boolean[], includeNoConfidence: boolean): Float32Array {
  const values = new Float32Array(data.filterValues);
  const { order, codes, confidence, n } = data;
  for (let slot = 0; slot < n; slot++) {
    const i = order[slot];
    values[slot * 4 + 3] = enabled[codes[i]] && (includeNoConfidence || !Number.isNaN(confidence[i])) ? 1 : 0;
  }
  return values;
}

/** The deck.gl filter ranges for the filters. */
export function filterRange(data: EventData, f: Filters): [number, number][] {
  return [
    [-OPEN_END * 2, f.to - data.origin],
    [f.from - data.origin, OPEN_END * 2],
    [f.minConfidence, 3],
    [0.5, 1.5],
  ];
}

/** Events passing the filters, per type (same test as the GPU's, on the CPU). */
export function countVisible(data: EventData, f: Filters): { total: number; byType: Int32Array } {
  const byType = new Int32Array(data.types.length || 1);
  const { n, codes, start, end, confidence } = data;
  const { from, to, minConfidence, includeNoConfidence, enabled } = f;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const code = codes[i];
    if (!enabled[code]) continue;
    if (start[i] > to) continue;
    const e = end[i];
    if (!Number.isNaN(e) && e < from) continue;
    const c = confidence[i];
    if (Number.isNaN(c)) {
      if (!includeNoConfidence) continue;
    } else if (c < minConfidence) continue;
    total++;
    byType[code]++;
  }
  return { total, byType };
}

export function histogram(data: EventData, bins: number): Int32Array {
  const counts = new Int32Array(bins);
  const span = Math.max(1, data.timeMax - data.timeMin);
  for (let i = 0; i < data.n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((data.start[i] - data.timeMin) / span) * bins)));
    counts[b]++;
  }
  return counts;
}

let cache: { key: string; data: EventData } | null = null;

export async function loadEvents(key: string, types: string[], timeMinS: number | null, timeMaxS: number | null, signal?: AbortSignal): Promise<EventData> {
  if (cache && cache.key === key) return cache.data;
  const { table, totalCount } = await getArrow("/api/map/events", { limit: 200000 }, signal);
  const data = decodeEvents(table, types, totalCount, timeMinS, timeMaxS);
  cache = { key, data };
  return data;
}
