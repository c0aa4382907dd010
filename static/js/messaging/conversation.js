// A conversation page live: new messages arrive over /ws/messages/, the read marker follows
// what is on screen, "Seen" appears under your last message once the other side read it, and
// the form sends over fetch (files included). Messages are built with textContent only.
import { ReconnectingSocket, socketUrl } from "../room/socket.js";

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function formatTime(iso) {
  const date = new Date(iso);
  return date.toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function documentIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  for (const d of ["M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z", "M14 2v6h6"]) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export class Conversation {
  constructor(panel) {
    this.panel = panel;
    this.id = Number(panel.dataset.conversation);
    this.me = Number(panel.dataset.me);
    this.seen = Number(panel.dataset.seen || 0);
    this.maxBytes = Number(panel.dataset.maxBytes || 0);
    this.list = panel.querySelector("[data-messages]");
    this.seenLabel = panel.querySelector("[data-seen-label]");
    this.status = panel.querySelector("[data-status]");
    this.form = panel.querySelector("[data-compose]");
    this.paged = new URLSearchParams(location.search).has("before");
    this.readSent = 0;
    this.socket = new ReconnectingSocket(() => socketUrl("/ws/messages/"), { heartbeatMs: 20000 });
    this.socket.addEventListener("status", (event) => this.onStatus(event.detail));
    this.socket.addEventListener("message", (event) => this.onEvent(event.detail));
    document.addEventListener("visibilitychange", () => this.onVisibility());
    if (this.form) this.bindForm();
    this.renderSeen();
    this.scrollToEnd();
    this.socket.start();
  }

  get lastId() {
    let last = 0;
    for (const item of this.list.querySelectorAll("li[data-id]")) last = Math.max(last, Number(item.dataset.id));
    return last;
  }

  onStatus({ status, reconnected }) {
    const labels = { open: "", connecting: "Connecting…", reconnecting: "Reconnecting…", waiting: "Offline — retrying…", refused: "Live updates are off." };
    this.status.textContent = labels[status] ?? "";
    if (status !== "open") return;
    this.announceViewing();
    if (reconnected && !this.paged) this.catchUp();
  }

  announceViewing() {
    const visible = document.visibilityState === "visible";
    this.socket.send({ type: "viewing", conversation: visible && !this.paged ? this.id : null });
    if (visible) this.markRead();
  }

  onVisibility() {
    if (this.socket.status === "open") this.announceViewing();
  }

  /** Debounced: a burst of arriving messages is one read marker move. */
  markRead() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.sendRead(), 400);
  }

  sendRead() {
    const last = this.lastId;
    if (this.paged || !last || last <= this.readSent || document.visibilityState !== "visible") return;
    this.readSent = last;
    this.socket.send({ type: "read", conversation: this.id, last_id: last });
  }

  async catchUp() {
    const response = await fetch(`/api/v1/messaging/conversations/${this.id}/messages?after=${this.lastId}`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return;
    for (const event of await response.json()) this.add(event);
    this.markRead();
  }

  onEvent(event) {
    if (event?.type === "msg.unread") {
      this.updateBadge(event.total);
      return;
    }
    if (!event || event.conversation !== this.id) return;
    if (event.type === "msg.new") {
      if (this.paged) return;
      this.add(event);
      if (event.author.id !== this.me) this.markRead();
    } else if (event.type === "msg.read" && event.user.id !== this.me) {
      this.seen = Math.max(this.seen, event.last_id);
      this.renderSeen();
    }
  }

  /** The navigation's unread badge (rendered by the server; hidden at zero). */
  updateBadge(total) {
    const badge = document.querySelector("[data-msg-unread]");
    if (!badge) return;
    badge.textContent = total > 99 ? "99+" : String(total);
    badge.setAttribute("aria-label", `${total} unread`);
    badge.hidden = total === 0;
  }

  add(event) {
    if (this.list.querySelector(`li[data-id="${event.id}"]`)) return;
    this.list.querySelector("[data-empty]")?.remove();
    const mine = event.author.id === this.me;
    const item = el("li", mine ? "msg mine is-new" : "msg is-new");
    item.id = `m${event.id}`;
    item.dataset.id = event.id;
    item.dataset.author = event.author.id;
    const meta = el("div", "msg-meta small muted");
    if (!mine) {
      meta.append(el("strong", "", event.author.name), " · ");
    }
    const time = el("time", "", formatTime(event.created_at));
    time.dateTime = event.created_at;
    meta.append(time);
    const bubble = el("div", "msg-bubble");
    if (event.body) bubble.append(el("p", "msg-body", event.body));
    for (const file of event.attachments) {
      if (file.is_image) {
        const link = el("a", "msg-image");
        link.href = file.image_url;
        link.target = "_blank";
        link.rel = "noopener";
        const img = el("img", "msg-thumb");
        img.src = file.thumbnail_url;
        img.alt = file.name;
        img.addEventListener("load", () => this.scrollToEnd());
        link.append(img);
        bubble.append(link);
      } else {
        const link = el("a", "msg-file");
        link.href = file.url;
        link.setAttribute("download", "");
        link.append(documentIcon(), el("span", "", file.name), el("span", "small muted", formatSize(file.size)));
        bubble.append(link);
      }
    }
    item.append(meta, bubble);
    if (!mine) item.append(this.reportForm(event.id));
    const ids = [...this.list.querySelectorAll("li[data-id]")];
    const after = ids.find((node) => Number(node.dataset.id) > event.id);
    this.list.insertBefore(item, after ?? null);
    this.renderSeen();
    this.scrollToEnd();
  }

  /** The same "Report" disclosure the server renders under others' messages. */
  reportForm(id) {
    const details = el("details", "msg-report small");
    details.append(el("summary", "", "Report"));
    const form = el("form", "row");
    form.method = "post";
    form.action = this.panel.dataset.reportUrl.replace("/0/", `/${id}/`);
    const token = this.form?.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) form.append(token.cloneNode());
    const label = el("label", "visually-hidden", "Reason");
    label.htmlFor = `reason-${id}`;
    const input = el("input");
    Object.assign(input, { type: "text", id: `reason-${id}`, name: "reason", maxLength: 500, required: true, placeholder: "What is wrong with this message?" });
    const button = el("button", "btn btn-small btn-danger", "Send report");
    button.type = "submit";
    form.append(label, input, button);
    details.append(form);
    return details;
  }

  renderSeen() {
    if (!this.seenLabel) return;
    const items = [...this.list.querySelectorAll("li[data-id]")];
    const last = items[items.length - 1];
    const mineLast = last && Number(last.dataset.author) === this.me ? last : null;
    if (mineLast && this.seen >= Number(mineLast.dataset.id)) {
      mineLast.append(this.seenLabel);
      this.seenLabel.hidden = false;
    } else {
      this.seenLabel.hidden = true;
    }
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  bindForm() {
    const body = this.form.querySelector("textarea");
    const file = this.form.querySelector("[data-file]");
    const fileName = this.form.querySelector("[data-file-name]");
    const error = this.form.querySelector("[data-error]");
    const button = this.form.querySelector("[data-send]");
    const defaultHint = fileName.textContent;
    const showError = (message) => {
      error.textContent = message;
      error.hidden = !message;
    };
    file.addEventListener("change", () => {
      const chosen = file.files[0];
      showError("");
      fileName.textContent = chosen ? `${chosen.name} · ${formatSize(chosen.size)}` : defaultHint;
      if (chosen && this.maxBytes && chosen.size > this.maxBytes) {
        showError(`The file is too large (limit ${formatSize(this.maxBytes)}).`);
        file.value = "";
        fileName.textContent = defaultHint;
      }
    });
    body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!body.value.trim() && !file.files.length) return;
      button.disabled = true;
      showError("");
      try {
        const response = await fetch(this.form.action, {
          method: "POST",
          body: new FormData(this.form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = await response.json().catch(() => null);
        if (!response.ok) {
          showError(data?.error?.message ?? "The message could not be sent. Try again.");
          return;
        }
        this.form.reset();
        fileName.textContent = defaultHint;
        if (this.paged) {
          location.href = location.pathname;
          return;
        }
        this.add(data);
        this.readSent = Math.max(this.readSent, data.id);
      } catch {
        showError("You seem to be offline. The message was not sent.");
      } finally {
        button.disabled = false;
        body.focus();
      }
    });
  }
}

const panel = document.querySelector("[data-conversation]");
if (panel) window.peerlearnConversation = new Conversation(panel);
