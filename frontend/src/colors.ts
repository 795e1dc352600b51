// Event-type colours (shared by the legend, the deck.gl layer and the MapLibre layers).

const KNOWN: Record<string, string> = {
  dark_port_call: "#ff4d4f",
  encounter: "#c77dff",
  ais_gap: "#ffd43b",
  spoofing: "#ff5fa2",
  loitering: "#ff922b",
  identity_change: "#22d3c5",
  identity_anomaly: "#4dabf7",
  route_deviation: "#a5a6ff",
  draught_change: "#b2f2bb",
  port_visit: "#51cf66",
  area_entry: "#8d99ae",
};

const FALLBACK = ["#e599f7", "#ffa8a8", "#74c0fc", "#ffe066", "#63e6be", "#dee2e6"];

/** Drawing priority: higher is drawn on top. */
const PRIORITY: Record<string, number> = {
  area_entry: 0,
  port_visit: 1,
  draught_change: 2,
  route_deviation: 3,
  identity_anomaly: 4,
  identity_change: 5,
  loitering: 6,
  ais_gap: 7,
  spoofing: 8,
  encounter: 9,
  dark_port_call: 10,
};

export const LABELS: Record<string, string> = {
  ais_gap: "AIS gap",
  dark_port_call: "Dark port call",
  encounter: "Ship-to-ship encounter",
  loitering: "Loitering",
  spoofing: "Spoofing",
  identity_change: "Identity change",
  identity_anomaly: "Identity anomaly",
  route_deviation: "Route deviation",
  draught_change: "Draught change",
  port_visit: "Port visit",
  area_entry: "Area entry",
};

export function typeLabel(type: string): string {
  return LABELS[type] ?? type.replace(/_/g, " ");
}

export function typeColor(type: string, index = 0): string {
  return KNOWN[type] ?? FALLBACK[index % FALLBACK.length];
}

export function typePriority(type: string): number {
  return PRIORITY[type] ?? 5;
}

export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A MapLibre `match` expression colouring features by their `event_type` property. */
export function typeColorExpression(types: string[]): unknown[] {
  const expr: unknown[] = ["match", ["get", "event_type"]];
  types.forEach((t, i) => expr.push(t, typeColor(t, i)));
  expr.push("#cccccc");
  return expr;
}

export const BASE = {
  sea: "#0b1622",
  land: "#1c2631",
  coast: "#3b5168",
  track: "#4dabf7",
  otherTrack: "#ffa94d",
  gap: "#ffd43b",
};
