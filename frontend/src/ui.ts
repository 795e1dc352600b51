// Small DOM helpers: element builder, tables, error display, badges.
import { ApiError } from "./api";
import type { VesselRow } from "./types";
import { fmtInt, fmtNum } from "./format";

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === "class") {
        el.className = String(value);
      } else if (key === "testid") {
        el.dataset.testid = String(value);
      } else if (value === true) {
        el.setAttribute(key, "");
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

export interface Column<T> {
  key: string;
  title: string;
  render: (row: T) => Child;
  numeric?: boolean;
  title_hint?: string;
}

export function table<T>(columns: Column<T>[], rows: T[], opts: { testid?: string; empty?: string; rowTestid?: string } = {}): HTMLElement {
  if (!rows.length) return h("p", { class: "muted empty", testid: opts.testid }, opts.empty ?? "None.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data", testid: opts.testid },
      h("thead", null, h("tr", null, columns.map((c) => h("th", { class: c.numeric ? "num" : null, title: c.title_hint ?? null }, c.title)))),
      h(
        "tbody",
        null,
        rows.map((row) => h("tr", { testid: opts.rowTestid ?? null }, columns.map((c) => h("td", { class: c.numeric ? "num" : null }, c.render(row))))),
      ),
    ),
  );
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

/** An error shown in place (a panel that failed to load). */
export function errorBox(err: unknown, what: string): HTMLElement {
  return h("div", { class: "error-box", testid: "error-box", role: "alert" }, h("strong", null, `Could not ${what}. `), errorText(err));
}

/** An error shown in the global banner (a failed action); stays until dismissed. */
export function reportError(err: unknown, what: string): void {
  if (isAbort(err)) return;
  const host = document.getElementById("errors");
  if (!host) return;
  const item = h(
    "div",
    { class: "error-toast", testid: "error-toast", role: "alert" },
    h("span", null, h("strong", null, `Could not ${what}: `), errorText(err)),
    h("button", { class: "icon", title: "Dismiss", onclick: () => item.remove() }, "×"),
  );
  host.appendChild(item);
}

export function notify(text: string): void {
  const host = document.getElementById("errors");
  if (!host) return;
  const item = h("div", { class: "info-toast", testid: "info-toast" }, text);
  host.appendChild(item);
  window.setTimeout(() => item.remove(), 3500);
}

export function vesselName(v: Pick<VesselRow, "name" | "mmsi" | "vessel_id"> | null | undefined): string {
  if (!v) return "unknown vessel";
  return v.name || (v.mmsi ? `MMSI ${v.mmsi}` : v.vessel_id);
}

export function vesselLink(vesselId: string | null | undefined, text?: string | null, testid?: string): Child {
  if (!vesselId) return text ?? "–";
  return h("a", { href: `#/vessel/${encodeURIComponent(vesselId)}`, testid: testid ?? "vessel-link", class: "vessel-link" }, text || vesselId);
}

export function eventLink(eventId: string, text?: string): HTMLElement {
  return h("a", { href: `#/event/${encodeURIComponent(eventId)}`, testid: "event-link", class: "event-link" }, text ?? eventId);
}

export const BAND_COLORS: Record<string, string> = {
  low: "#5f8f6b",
  medium: "#c9a227",
  high: "#e0752d",
  severe: "#d43d3d",
};

export function bandBadge(band: string | null | undefined, score: number | null | undefined): HTMLElement {
  const b = band ?? "unscored";
  return h(
    "span",
    { class: `band band-${b}`, testid: "risk-badge", title: `risk ${fmtNum(score ?? null, 1)} of 100 (${b})` },
    score === null || score === undefined ? "–" : fmtInt(score),
    h("span", { class: "band-label" }, b),
  );
}

export function sanctionedBadge(sanctioned: boolean | null | undefined): HTMLElement | null {
  return sanctioned ? h("span", { class: "tag tag-sanctioned", testid: "sanctioned-badge", title: "matches a sanctions list" }, "SANCTIONED") : null;
}

export function flagText(iso2: string | null | undefined): string {
  return iso2 ? iso2.toUpperCase() : "–";
}

export function loading(text = "Loading…"): HTMLElement {
  return h("div", { class: "loading", testid: "loading" }, h("span", { class: "spinner" }), text);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}
