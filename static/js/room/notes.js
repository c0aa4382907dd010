// Shared notes: a textarea saved a moment after typing stops, each save naming the version it
// was based on. Others' edits are applied when this person is not typing (merged line-wise with
// local unsaved changes); a conflict the server reports shows both versions with "keep mine",
// "keep theirs" or an editable merge — text is never dropped silently.

import { merge3 } from "./merge.js";

const SAVE_AFTER_MS = 700;
const TYPING_QUIET_MS = 1200;

export class Notes extends EventTarget {
  /**
   * @param {object} o
   *   textarea, status: the editor and its status line
   *   conflict: {box, theirs, yours, merged, keepMine, keepTheirs, saveMerged, who}
   *   send(message) → bool; me: {id, name}; version, text: what the page was rendered with
   */
  constructor({ textarea, status, conflict, send, me, version = 0, text = "" }) {
    super();
    this.textarea = textarea;
    this.statusLine = status;
    this.c = conflict;
    this.sendOut = send;
    this.me = me;
    this.baseVersion = version;
    this.baseText = text;
    this.inflight = null; // {text, baseVersion, at}
    this.remote = null; // the latest remote update waiting for a quiet moment
    this.remoteTimer = null;
    this.saveTimer = null;
    this.lastInputAt = 0;
    this.conflict = null; // {version, text}
    this.lastBy = null;
    if (textarea.value !== text) textarea.value = text;
    this.bind();
    this.setStatus();
  }

  bind() {
    this.textarea.addEventListener("input", () => {
      this.lastInputAt = Date.now();
      this.setStatus("Editing…");
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.flush(), SAVE_AFTER_MS);
    });
    this.textarea.addEventListener("blur", () => {
      if (this.remote) this.applyRemoteWhenQuiet();
    });
    const c = this.c;
    c.keepMine.addEventListener("click", () => this.resolve(this.c.yours.value));
    c.keepTheirs.addEventListener("click", () => this.keepTheirs());
    c.saveMerged.addEventListener("click", () => this.resolve(this.c.merged.value));
  }

  get dirty() {
    return this.textarea.value !== this.baseText;
  }

  setStatus(text) {
    if (text) {
      this.statusLine.textContent = text;
      return;
    }
    const parts = [this.dirty ? "Unsaved changes" : "Saved"];
    if (this.baseVersion) parts.push(`version ${this.baseVersion}`);
    if (this.lastBy) parts.push(`last edit by ${this.lastBy.id === this.me.id ? "you" : this.lastBy.name}`);
    this.statusLine.textContent = parts.join(" · ");
  }

  /** Replace the text, keeping the caret where it was relative to unchanged text. */
  setText(text) {
    const ta = this.textarea;
    const old = ta.value;
    if (old === text) return;
    const focused = document.activeElement === ta;
    const { selectionStart, selectionEnd } = ta;
    let prefix = 0;
    while (prefix < old.length && prefix < text.length && old[prefix] === text[prefix]) prefix += 1;
    const delta = text.length - old.length;
    const fix = (i) => (i <= prefix ? i : Math.max(prefix, i + delta));
    ta.value = text;
    if (focused) ta.setSelectionRange(fix(selectionStart), fix(selectionEnd));
  }

  /** Save now if there is something to save (one save in flight at a time). */
  flush() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (this.conflict) return;
    if (!this.dirty) {
      this.setStatus();
      return;
    }
    // One save in flight; the next goes when its answer arrives (or if none came for a while).
    if (this.inflight && Date.now() - this.inflight.at < 10000) return;
    const text = this.textarea.value;
    if (!this.sendOut({ type: "notes", base_version: this.baseVersion, text })) {
      this.setStatus("Not connected — saved as soon as the connection is back");
      return;
    }
    this.inflight = { text, baseVersion: this.baseVersion, at: Date.now() };
    this.setStatus("Saving…");
  }

  /**
   * Fold a server version into the editor. ``mergeBase`` is the text the server version was
   * made from, as far as local edits are concerned.
   */
  integrate(version, text, mergeBase) {
    const local = this.textarea.value;
    if (local === text || local === mergeBase) {
      this.setText(text);
      this.baseVersion = version;
      this.baseText = text;
    } else {
      const merged = merge3(mergeBase, local, text);
      if (merged !== null) {
        this.setText(merged);
        this.baseVersion = version;
        this.baseText = text;
      }
      // else: keep the local text and the old base; saving it reports the conflict.
    }
    if (this.dirty && !this.saveTimer) this.saveTimer = setTimeout(() => this.flush(), SAVE_AFTER_MS);
    this.setStatus();
  }

  /** {type: "notes", version, text, by, merged} from the server. */
  onUpdate(event) {
    if (event.by) this.lastBy = event.by;
    if (this.conflict) {
      // Keep the conflict view current with the latest saved text.
      this.conflict = { version: event.version, text: event.text };
      this.c.theirs.value = event.text;
      return;
    }
    const mine = event.by && event.by.id === this.me.id && this.inflight;
    if (mine) {
      const sent = this.inflight.text;
      this.inflight = null;
      if (!event.merged && event.text === sent) {
        this.baseVersion = event.version;
        this.baseText = sent;
        if (this.dirty) this.flush();
        this.setStatus();
        return;
      }
      this.integrate(event.version, event.text, sent);
      return;
    }
    if (event.version <= this.baseVersion) return;
    this.remote = event;
    this.applyRemoteWhenQuiet();
  }

  applyRemoteWhenQuiet() {
    clearTimeout(this.remoteTimer);
    const typing = document.activeElement === this.textarea && Date.now() - this.lastInputAt < TYPING_QUIET_MS;
    if (typing) {
      this.remoteTimer = setTimeout(() => this.applyRemoteWhenQuiet(), 400);
      return;
    }
    const event = this.remote;
    this.remote = null;
    if (event && event.version > this.baseVersion) this.integrate(event.version, event.text, this.baseText);
  }

  /** The room's state after (re)connecting: {version, text}. */
  onState(notes) {
    this.inflight = null; // an answer to a save sent before the drop will not come
    if (this.conflict) {
      this.onUpdate({ type: "notes", version: notes.version, text: notes.text, by: null });
      return;
    }
    if (notes.version !== this.baseVersion || notes.text !== this.baseText) {
      this.integrate(notes.version, notes.text, this.baseText);
    } else if (this.dirty) {
      this.flush();
    }
  }

  /** {type: "notes.conflict", version, text, yours}: show both versions, let the person choose. */
  onConflict(event) {
    this.inflight = null;
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.conflict = { version: event.version, text: event.text };
    const yours = this.textarea.value || event.yours;
    const c = this.c;
    c.theirs.value = event.text;
    c.yours.value = yours;
    c.merged.value = `${event.text.replace(/\n?$/, "\n")}\n${yours}`;
    c.who.textContent = this.lastBy && this.lastBy.id !== this.me.id ? this.lastBy.name : "Someone else";
    c.box.hidden = false;
    this.textarea.readOnly = true;
    this.setStatus("Your edit collided with another one: choose what to keep");
    this.dispatchEvent(new CustomEvent("conflict", { detail: event }));
  }

  closeConflict() {
    this.c.box.hidden = true;
    this.textarea.readOnly = false;
    const conflict = this.conflict;
    this.conflict = null;
    return conflict;
  }

  /** Save ``text`` over the version shown in the conflict. */
  resolve(text) {
    const conflict = this.closeConflict();
    this.setText(text);
    this.baseVersion = conflict.version;
    this.baseText = conflict.text;
    this.flush();
  }

  keepTheirs() {
    const conflict = this.closeConflict();
    this.setText(conflict.text);
    this.baseVersion = conflict.version;
    this.baseText = conflict.text;
    this.setStatus();
  }
}
