// The application shell: header (navigation, vessel search, access state), the error
// area and a hash router that mounts one view at a time.
import "./style.css";
import { canWrite, captureToken, getJSON, getSummary, getToken, setToken, cachedSummary } from "./api";
import { fmtShipType } from "./format";
import type { SearchResult } from "./types";
import { append, bandBadge, clear, errorText, flagText, h, isAbort, reportError, sanctionedBadge, vesselName } from "./ui";
import { mountMap } from "./views/map";
import { mountVessel } from "./views/vessel";
import { mountEvent } from "./views/event";
import { mountWatchlist } from "./views/watchlist";
import { mountTrade } from "./views/trade";

captureToken();

type Unmount = () => void;

const app = document.getElementById("app")!;
const accessEl = h("div", { class: "access" });
const searchInput = h("input", {
  type: "search",
  placeholder: "Vessel: name, MMSI, IMO or call sign",
  testid: "search-input",
  "aria-label": "Search vessels",
  autocomplete: "off",
  spellcheck: "false",
});
const searchResults = h("div", { class: "search-results", testid: "search-results", hidden: true });
const nav = h(
  "nav",
  { class: "nav" },
  h("a", { href: "#/", "data-route": "map", testid: "nav-map" }, "Map"),
  h("a", { href: "#/watchlist", "data-route": "watchlist", testid: "nav-watchlist" }, "Watch-list"),
  h("a", { href: "#/trade", "data-route": "trade", testid: "nav-trade" }, "Trade"),
);
const header = h(
  "header",
  { class: "topbar" },
  h("a", { class: "brand", href: "#/" }, h("span", { class: "brand-mark" }, "◆"), "shadowfleet"),
  nav,
  h("div", { class: "search" }, searchInput, searchResults),
  accessEl,
);
const errors = h("div", { id: "errors", class: "errors", testid: "errors", "aria-live": "polite" });
const view = h("main", { id: "view", class: "view" });
app.append(header, errors, view);

// ---------------------------------------------------------------- access state
export function renderAccess(): void {
  clear(accessEl);
  const s = cachedSummary();
  const token = getToken();
  let text: string;
  let cls: string;
  let title: string;
  if (!s) {
    text = "…";
    cls = "";
    title = "";
  } else if (!s.writes_enabled) {
    text = "read-only";
    cls = "readonly";
    title = "The server was started without --token: watch-list and notes cannot be changed.";
  } else if (!token) {
    text = "read-only";
    cls = "readonly";
    title = "No access token in this browser: open the address with ?token=… or enter the token to change the watch-list and notes.";
  } else {
    text = "writes enabled";
    cls = "writable";
    title = "An access token is stored in this browser; writes send it.";
  }
  const badge = h("button", { class: `access-badge ${cls}`, testid: cls === "writable" ? "write-badge" : "readonly-badge", title }, text);
  const pop = h("div", { class: "access-pop", hidden: true, testid: "access-pop" });
  badge.addEventListener("click", () => {
    pop.hidden = !pop.hidden;
  });
  const tokenInput = h("input", { type: "password", placeholder: "access token", testid: "token-input" });
  append(pop, [
    h("p", null, title),
    s?.writes_enabled
      ? h(
          "div",
          { class: "row" },
          tokenInput,
          h("button", { class: "button", onclick: () => { setToken(tokenInput.value.trim() || null); renderAccess(); window.dispatchEvent(new Event("sf-access")); }, testid: "token-save" }, "Use token"),
          token ? h("button", { class: "button", onclick: () => { setToken(null); renderAccess(); window.dispatchEvent(new Event("sf-access")); }, testid: "token-clear" }, "Forget token") : null,
        )
      : null,
  ]);
  accessEl.append(badge, pop);
  document.body.classList.toggle("can-write", canWrite());
}

// ---------------------------------------------------------------- search
let searchTimer = 0;
let searchAbort: AbortController | null = null;
let lastResults: SearchResult[] = [];

function hideResults(): void {
  searchResults.hidden = true;
}

async function runSearch(q: string): Promise<void> {
  searchAbort?.abort();
  if (!q.trim()) {
    hideResults();
    return;
  }
  searchAbort = new AbortController();
  clear(searchResults);
  searchResults.hidden = false;
  searchResults.append(h("div", { class: "muted small pad" }, "Searching…"));
  try {
    const body = await getJSON<{ results: SearchResult[] }>("/api/vessels/search", { q: q.trim(), limit: 20 }, searchAbort.signal);
    lastResults = body.results;
    clear(searchResults);
    if (!body.results.length) {
      searchResults.append(h("div", { class: "muted small pad", testid: "search-empty" }, `No vessel matches “${q}”.`));
      return;
    }
    for (const r of body.results) {
      searchResults.append(
        h(
          "a",
          { class: "search-result", href: `#/vessel/${encodeURIComponent(r.vessel_id)}`, testid: "search-result", "data-vessel-id": r.vessel_id, onclick: () => { hideResults(); searchInput.value = ""; } },
          bandBadge(r.band, r.risk_score),
          h(
            "span",
            { class: "rank-main" },
            h("span", { class: "rank-name" }, vesselName(r), " ", sanctionedBadge(r.sanctioned)),
            h("span", { class: "rank-sub" }, `${flagText(r.flag_iso2)} · MMSI ${r.mmsi ?? "–"} · IMO ${r.imo ?? "–"} · ${fmtShipType(r.ship_type)}`),
            h("span", { class: "rank-sub match" }, `matched ${r.matched_on}${r.matched_value ? ` “${r.matched_value}”` : ""}${r.match_score !== null && r.match_score !== undefined && r.matched_on === "name" ? ` (score ${Math.round(r.match_score)})` : ""}`),
          ),
        ),
      );
    }
  } catch (err) {
    if (isAbort(err)) return;
    clear(searchResults);
    searchResults.append(h("div", { class: "error-box", testid: "search-error" }, errorText(err)));
  }
}

searchInput.addEventListener("input", () => {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => void runSearch(searchInput.value), 200);
});
searchInput.addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    window.clearTimeout(searchTimer);
    const q = searchInput.value;
    void runSearch(q).then(() => {
      if (lastResults.length && searchInput.value === q) {
        window.location.hash = `#/vessel/${encodeURIComponent(lastResults[0].vessel_id)}`;
        hideResults();
        searchInput.value = "";
      }
    });
  } else if (e.key === "Escape") hideResults();
});
document.addEventListener("click", (e) => {
  if (!(e.target instanceof Node) || !header.contains(e.target)) {
    hideResults();
    const pop = accessEl.querySelector<HTMLElement>(".access-pop");
    if (pop) pop.hidden = true;
  }
});

// ---------------------------------------------------------------- router
let unmount: Unmount | null = null;

function route(): void {
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  unmount?.();
  unmount = null;
  clear(view);
  hideResults();
  let name = "map";
  if (parts.length === 0) {
    unmount = mountMap(view);
  } else if (parts[0] === "vessel" && parts[1]) {
    name = "vessel";
    unmount = mountVessel(view, parts[1]);
  } else if (parts[0] === "event" && parts[1]) {
    name = "event";
    unmount = mountEvent(view, parts[1]);
  } else if (parts[0] === "watchlist") {
    name = "watchlist";
    unmount = mountWatchlist(view);
  } else if (parts[0] === "trade") {
    name = "trade";
    unmount = mountTrade(view, params);
  } else {
    name = "none";
    view.append(h("div", { class: "page" }, h("h1", null, "Not found"), h("p", null, `No page at “#${hash}”. `, h("a", { href: "#/" }, "Back to the map"))));
  }
  view.dataset.route = name;
  for (const a of nav.querySelectorAll<HTMLAnchorElement>("a")) a.classList.toggle("active", a.dataset.route === name);
}

window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (e) => reportError(e.reason, "complete an action"));
window.addEventListener("storage", () => renderAccess());

renderAccess();
getSummary()
  .then(() => renderAccess())
  .catch((err) => reportError(err, "load the store summary"));
route();
