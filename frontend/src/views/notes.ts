// Analyst notes on a vessel or an event (POST/DELETE need the token).
import { canWrite, send } from "../api";
import { fmtTime } from "../format";
import type { Note } from "../types";
import { clear, h, notify, reportError } from "../ui";

export function notesSection(kind: "vessel" | "event", targetId: string, initial: Note[]): HTMLElement {
  const notes = [...initial];
  const list = h("ul", { class: "notes", testid: "notes-list" });
  const input = h("textarea", { rows: 3, placeholder: "Add a note: sources checked, doubts, next steps…", testid: "note-input" });
  const add = h("button", { class: "button primary", testid: "note-add" }, "Add note");
  const hint = h("p", { class: "muted small", testid: "notes-readonly" });

  const paint = (): void => {
    clear(list);
    if (!notes.length) list.append(h("li", { class: "muted" }, "No notes yet."));
    for (const n of notes) {
      const del = h("button", { class: "link-button small danger", testid: "note-delete", title: "Delete this note" }, "delete");
      del.disabled = !canWrite();
      del.addEventListener("click", async () => {
        if (!window.confirm("Delete this note?")) return;
        try {
          await send("DELETE", `/api/notes/${encodeURIComponent(String(n.note_id))}`);
          notes.splice(notes.indexOf(n), 1);
          paint();
        } catch (err) {
          reportError(err, "delete the note");
        }
      });
      list.append(h("li", { testid: "note-item" }, h("div", { class: "note-text" }, n.text), h("div", { class: "muted small" }, fmtTime(n.created_at), " · ", del)));
    }
    const ok = canWrite();
    input.disabled = !ok;
    add.disabled = !ok;
    hint.textContent = ok ? "" : "Read-only: notes need the access token (see the badge at the top right).";
  };
  add.addEventListener("click", async () => {
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    add.disabled = true;
    try {
      const note = await send<Note>("POST", "/api/notes", { target_kind: kind, target_id: targetId, text });
      if (note) notes.push(note);
      input.value = "";
      notify("Note saved");
    } catch (err) {
      reportError(err, "save the note");
    } finally {
      paint();
    }
  });
  window.addEventListener("sf-access", paint);
  paint();
  return h("div", { class: "notes-box" }, list, input, h("div", { class: "actions" }, add), hint);
}
