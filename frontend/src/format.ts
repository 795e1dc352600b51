// Number, time and unit formatting (en-US separators, UTC times).

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimals = [0, 1, 2, 3, 4, 5, 6].map((d) => new Intl.NumberFormat("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));

export function fmtInt(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : integer.format(value);
}

export function fmtNum(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return decimals[Math.max(0, Math.min(6, digits))].format(value);
}

/** A number with sensible precision for its size. */
export function fmtAuto(value: number): string {
  const a = Math.abs(value);
  if (a >= 1000 || Number.isInteger(value)) return fmtInt(value);
  if (a >= 100) return fmtNum(value, 1);
  if (a >= 1) return fmtNum(value, 2);
  if (a === 0) return "0";
  return value.toPrecision(3);
}

export function fmtTonnes(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${fmtInt(value)} t`;
}

export function fmtUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const a = Math.abs(value);
  if (a >= 1e9) return `US$${fmtNum(value / 1e9, 2)} bn`;
  if (a >= 1e6) return `US$${fmtNum(value / 1e6, 2)} M`;
  return `US$${fmtInt(value)}`;
}

export function fmtPct(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : `${fmtInt(value * 100)} %`;
}

export function fmtConfidence(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : fmtNum(value, 2);
}

export function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2020-03-01 14:05 UTC` */
export function fmtTime(value: string | number | null | undefined, withZone = true): string {
  const d = toDate(value);
  if (!d) return "–";
  const s = d.toISOString().slice(0, 16).replace("T", " ");
  return withZone ? `${s} UTC` : s;
}

export function fmtDate(value: string | number | null | undefined): string {
  const d = toDate(value);
  return d ? d.toISOString().slice(0, 10) : "–";
}

export function fmtDuration(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || Number.isNaN(hours)) return "–";
  if (hours < 1) return `${fmtInt(hours * 60)} min`;
  if (hours < 48) return `${fmtNum(hours, 1)} h`;
  return `${fmtNum(hours / 24, 1)} d (${fmtInt(hours)} h)`;
}

export function durationHours(start: string | null | undefined, end: string | null | undefined): number | null {
  const a = toDate(start);
  const b = toDate(end);
  return a && b ? (b.getTime() - a.getTime()) / 3.6e6 : null;
}

export function fmtLatLon(lat: number | null | undefined, lon: number | null | undefined): string {
  if (lat === null || lat === undefined || lon === null || lon === undefined) return "–";
  const ns = lat >= 0 ? "N" : "S";
  const ew = lon >= 0 ? "E" : "W";
  return `${Math.abs(lat).toFixed(4)}° ${ns}, ${Math.abs(lon).toFixed(4)}° ${ew}`;
}

/** A value of an evidence field, with the unit its name carries (`_m`, `_h`, `_kn`, ...). */
export function fmtField(key: string, value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (key.endsWith("_m")) {
      return Math.abs(value) >= 10000 ? `${fmtNum(value / 1000, 1)} km (${fmtInt(value)} m)` : `${fmtAuto(value)} m`;
    }
    if (key.endsWith("_h")) return `${fmtAuto(value)} h`;
    if (key.endsWith("_kn")) return `${fmtAuto(value)} kn`;
    if (key.endsWith("_deg")) return `${fmtAuto(value)}°`;
    if (key.endsWith("_t")) return `${fmtInt(value)} t`;
    if (key.endsWith("_usd")) return fmtUsd(value);
    if (key === "lat" || key === "lon" || key.endsWith("_lat") || key.endsWith("_lon")) return value.toFixed(5);
    if (key === "mmsi" || key.endsWith("_mmsi") || key === "imo" || key.endsWith("_imo")) return String(value);
    return fmtAuto(value);
  }
  if (typeof value === "string") {
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return fmtTime(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => fmtField(key, v)).join(", ");
  return JSON.stringify(value);
}

export const SHIP_TYPES: Record<number, string> = {
  30: "fishing", 31: "towing", 32: "towing (large)", 33: "dredging", 35: "military", 36: "sailing", 37: "pleasure craft",
  50: "pilot", 51: "search and rescue", 52: "tug", 53: "port tender", 55: "law enforcement", 58: "medical", 60: "passenger",
};

export function fmtShipType(code: number | null | undefined): string {
  if (code === null || code === undefined) return "–";
  if (SHIP_TYPES[code]) return `${SHIP_TYPES[code]} (${code})`;
  const tens = Math.floor(code / 10);
  const kind = ({ 2: "wing in ground", 4: "high-speed craft", 6: "passenger", 7: "cargo", 8: "tanker", 9: "other" } as Record<number, string>)[tens];
  return kind ? `${kind} (${code})` : String(code);
}

export function label(key: string): string {
  return key.replace(/_/g, " ");
}
