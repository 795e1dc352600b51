// #/watchlist: watch-listed vessels with their current risk; remove; edit the note.
import { canWrite, getJSON, getSummary, send } from "../api";
import { fmtInt, fmtShipType, fmtTime } from "../format";
import type { WatchItem } from "../types";
import { bandBadge, clear, errorBox, flagText, h, isAbort, loading, notify, reportError, sanctionedBadge, vesselLink, vesselName } from "../ui";

export function mountWatchlist(root: HTMLElement): () => void {
  const abort = new AbortController();
  const body = h("div", { testid: "watchlist" }, loading());
  const status = h("p", { class: "muted small", testid: "watchlist-status" });
  root.appendChild(
    h(
      "div",
      { class: "page" },
      h("section", { class: "card" }, h("h1", null, "Watch-list"), h("p", { class: "muted" }, "Vessels you follow, with their current risk score. Add vessels from their profile."), status, body),
    ),
  );

  async function load(): Promise<void> {
    try {
      await getSummary().catch(() => null);
      const { items } = await getJSON<{ items: WatchItem[] }>("/api/watchlist", undefined, abort.signal);
      render(items);
    } catch (err) {
      if (isAbort(err)) return;
      clear(body);
      body.append(errorBox(err, "load the watch-list"));
    }
  }

  function render(items: WatchItem[]): void {
    clear(body);
    const writable = canWrite();
    status.textContent = writable ? `${fmtInt(items.length)} vessel${items.length === 1 ? "" : "s"}.` : `${fmtInt(items.length)} vessel${items.length === 1 ? "" : "s"}. Read-only: removing vessels and editing notes need the access token.`;
    if (!items.length) {
      body.append(h("p", { class: "muted empty", testid: "watchlist-empty" }, "The watch-list is empty."));
      return;
    }
    const sorted = [...items].sort((a, b) => (b.vessel?.risk_score ?? -1) - (a.vessel?.risk_score ?? -1));
    body.append(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", testid: "watchlist-table" },
          h("thead", null, h("tr", null, ["Risk", "Vessel", "Flag", "IMO", "MMSI", "Type", "Last seen", "Added", "Note", ""].map((t) => h("th", null, t)))),
          h("tbody", null, sorted.map((item) => row(item, writable))),
        ),
      ),
    );
  }

  function row(item: WatchItem, writable: boolean): HTMLElement {
    const v = item.vessel;
    const note = h("input", { type: "text", value: item.note ?? "", placeholder: "note", testid: "watch-note-input", class: "note-input" });
    note.disabled = !writable;
    const save = h("button", { class: "button small", testid: "watch-note-save" }, "Save note");
    save.disabled = !writable;
    const remove = h("button", { class: "button small danger", testid: "watch-remove" }, "Remove");
    remove.disabled = !writable;
    const tr = h(
      "tr",
      { testid: "watchlist-row", "data-vessel-id": item.vessel_id },
      h("td", null, v ? bandBadge(v.band, v.risk_score) : "–"),
      h("td", null, vesselLink(item.vessel_id, v ? vesselName(v) : `${item.vessel_id} (no longer in the store)`), " ", sanctionedBadge(v?.sanctioned)),
      h("td", null, flagText(v?.flag_iso2)),
      h("td", null, v?.imo ? String(v.imo) : "–"),
      h("td", null, v?.mmsi ? String(v.mmsi) : "–"),
      h("td", null, fmtShipType(v?.ship_type)),
      h("td", null, fmtTime(v?.last_seen, false)),
      h("td", null, fmtTime(item.added_at, false)),
      h("td", { class: "note-cell" }, note),
      h("td", null, h("div", { class: "row-actions" }, save, remove)),
    );
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        await send("PUT", `/api/watchlist/${encodeURIComponent(item.vessel_id)}`, { note: note.value });
        item.note = note.value;
        notify("Note saved");
      } catch (err) {
        reportError(err, "save the watch-list note");
      } finally {
        save.disabled = !canWrite();
      }
    });
    remove.addEventListener("click", async () => {
      remove.disabled = true;
      try {
        await send("DELETE", `/api/watchlist/${encodeURIComponent(item.vessel_id)}`);
        notify(`${v ? vesselName(v) : item.vessel_id} removed from the watch-list`);
        void load();
      } catch (err) {
        reportError(err, "remove the vessel from the watch-list");
        remove.disabled = !canWrite();
      }
    });
    return tr;
  }

  const onAccess = (): void => void load();
  window.addEventListener("sf-access", onAccess);
  void load();
  return () => {
    abort.abort();
    window.removeEventListener("sf-access", onAccess);
  };
}
