// The room chat: messages rendered from the server's sanitized HTML (markdown with highlighted
// code), a typing indicator, and sharing a file over HTTP (validated and announced by the server).
//
// Delivery: each message sent carries a client id; it stays in ``pending`` (shown as "sending")
// until the server's ``ack`` names the stored id, and is sent again after every reconnect until
// then (the server stores it once per client id). Every chat event names the room's message
// before it (``prev``), so ``cursor`` is the end of the unbroken chain received: a reconnect
// resumes from there, and a gap that does not close soon asks the server to resync.

const TYPING_SEND_EVERY_MS = 2500;
const TYPING_SHOW_MS = 3500;
const GAP_WAIT_MS = 3000; // a message ahead of the chain waits this long for the one before it
const RATE_RETRY_MS = 1500;

/** A random id for a message (unique per sender; the server keys idempotency by it). */
export function newClientId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** The CSRF token for fetch() calls (cookie first, else the page's form field). */
export function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/** "14:05" in the person's own time zone (their profile's, as on the server-rendered page). */
export function formatTime(date, timeZone) {
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return date.toLocaleTimeString([], timeZone ? { ...options, timeZone } : options);
  } catch {
    return date.toLocaleTimeString([], options);
  }
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Upload one file to the room; resolves with the server's JSON, rejects with a readable Error. */
export async function uploadFile(url, file) {
  const body = new FormData();
  body.append("file", file);
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
  } catch {
    throw new Error("The upload failed: no connection.");
  }
  let data = {};
  try {
    data = await response.json();
  } catch {
    /* not JSON */
  }
  if (!response.ok) {
    const message = data && data.error ? data.error.message : `The upload failed (HTTP ${response.status}).`;
    throw new Error(message);
  }
  return data;
}

export class Chat extends EventTarget {
  /**
   * @param {object} o
   *   log: <ol> of messages (server-rendered ones already inside, with data-id)
   *   form, input: the compose form and its textarea; typing: the "… is typing" line
   *   status: a line for errors; fileInput: <input type=file>; uploadUrl; me: {id, name}
   *   send(message) → bool: through the room socket
   *   files: the Files panel's list (optional); timeZone: for message times
   */
  constructor({ log, form, input, typing, status, fileInput, uploadUrl, me, send, files, timeZone }) {
    super();
    this.timeZone = timeZone || undefined;
    this.log = log;
    this.form = form;
    this.input = input;
    this.typingLine = typing;
    this.status = status;
    this.fileInput = fileInput;
    this.uploadUrl = uploadUrl;
    this.me = me;
    this.sendOut = send;
    this.files = files;
    this.ids = new Set();
    this.fileIds = new Set();
    this.lastId = 0;
    this.cursor = 0; // the end of the unbroken chain of messages received
    this.ahead = new Map(); // prev → id, for messages received ahead of the chain
    this.gapTimer = null;
    this.pending = new Map(); // client id → {body, item}: sent, not yet acknowledged
    this.acked = new Map(); // stored id → the pending item shown until the message arrives
    this.retryTimer = null;
    this.typingSentAt = 0;
    this.typers = new Map(); // user id → {name, timer}
    for (const item of log.querySelectorAll("[data-id]")) this.see(Number(item.dataset.id));
    this.cursor = this.lastId; // the page rendered the room's first messages, without gaps
    if (files) for (const item of files.querySelectorAll("[data-file-id]")) this.fileIds.add(Number(item.dataset.fileId));
    this.bind();
    this.scrollToEnd(true);
  }

  see(id) {
    this.ids.add(id);
    if (id > this.lastId) this.lastId = id;
  }

  bind() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      const now = Date.now();
      if (this.input.value.trim() && now - this.typingSentAt > TYPING_SEND_EVERY_MS) {
        this.typingSentAt = now;
        this.sendOut({ type: "typing" });
      }
    });
    if (this.fileInput) {
      this.fileInput.addEventListener("change", () => {
        const [file] = this.fileInput.files;
        if (file) this.upload(file);
      });
    }
  }

  submit() {
    const body = this.input.value.trim();
    if (!body) return;
    const clientId = newClientId();
    const item = element("li", "chat-msg mine pending");
    item.append(element("div", "chat-meta", "sending…"), element("div", "md", body));
    item.dataset.clientId = clientId;
    this.log.append(item);
    this.scrollToEnd(true);
    this.pending.set(clientId, { body, item });
    this.input.value = "";
    this.typingSentAt = 0;
    if (this.sendOut({ type: "chat", body, client_id: clientId })) {
      this.say("");
    } else {
      this.say("Not connected — your message will be sent once reconnected.");
    }
  }

  /** Send every unacknowledged message again, oldest first (after a (re)connect). */
  resendPending() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const [clientId, { body }] of this.pending) {
      if (!this.sendOut({ type: "chat", body, client_id: clientId })) return;
    }
  }

  /** {type: "ack", client_id, id}: stored; the pending line goes once the message is shown. */
  ack(event) {
    const entry = this.pending.get(event.client_id);
    if (!entry) return;
    this.pending.delete(event.client_id);
    if (this.ids.has(event.id)) entry.item.remove();
    else this.acked.set(event.id, entry.item);
  }

  /** An error event from the server about a chat message (``client_id``): a rate limit waits
   * and resends; anything else is final, and the text goes back into the box. */
  refused(error) {
    const entry = error.client_id ? this.pending.get(error.client_id) : null;
    if (!entry) {
      this.say(error.message || "That message was not sent.", true);
      return;
    }
    if (error.code === "rate_limited") {
      if (!this.retryTimer) this.retryTimer = setTimeout(() => this.resendPending(), RATE_RETRY_MS);
      return;
    }
    this.pending.delete(error.client_id);
    entry.item.remove();
    if (!this.input.value.trim()) this.input.value = entry.body;
    this.say(error.message || "That message was not sent.", true);
  }

  /** Extend the unbroken chain with messages that were waiting for their predecessor. */
  advance(event) {
    if (event.prev === undefined || event.id <= this.cursor) return;
    this.ahead.set(event.prev, event.id);
    while (this.ahead.has(this.cursor)) {
      const next = this.ahead.get(this.cursor);
      this.ahead.delete(this.cursor);
      this.cursor = next;
    }
    for (const prev of this.ahead.keys()) if (prev < this.cursor) this.ahead.delete(prev);
    clearTimeout(this.gapTimer);
    this.gapTimer = null;
    if (this.ahead.size) {
      // A message before one received is missing: give it a moment, then ask for it.
      this.gapTimer = setTimeout(() => {
        if (this.ahead.size) this.dispatchEvent(new CustomEvent("gap", { detail: { cursor: this.cursor } }));
      }, GAP_WAIT_MS);
    }
  }

  say(text, isError = false) {
    if (!this.status) return;
    this.status.textContent = text;
    this.status.classList.toggle("error", Boolean(isError && text));
  }

  async upload(file) {
    this.say(`Uploading ${file.name}…`);
    try {
      await uploadFile(this.uploadUrl, file);
      this.say("");
    } catch (error) {
      this.say(error.message, true);
    } finally {
      if (this.fileInput) this.fileInput.value = "";
    }
  }

  nearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  }

  scrollToEnd(force = false) {
    if (force || this.nearBottom()) this.log.scrollTop = this.log.scrollHeight;
  }

  /** Add a chat event ({id, prev, author, html, created_at, file?}); repeats are ignored. */
  add(event) {
    this.advance(event);
    if (this.ids.has(event.id)) return false;
    const placeholder = this.acked.get(event.id);
    if (placeholder) {
      placeholder.remove();
      this.acked.delete(event.id);
    }
    const stick = this.nearBottom() || (event.author && event.author.id === this.me.id);
    this.see(event.id);
    const item = element("li", "chat-msg");
    item.dataset.id = String(event.id);
    if (event.author && event.author.id === this.me.id) item.classList.add("mine");
    const meta = element("div", "chat-meta");
    meta.append(element("span", "chat-author", event.author ? event.author.name : ""));
    const time = element("time", "chat-time");
    const at = new Date(event.created_at);
    time.dateTime = event.created_at;
    time.textContent = formatTime(at, this.timeZone);
    meta.append(time);
    const body = element("div", "md");
    body.innerHTML = event.html; // rendered and sanitized by the server when stored
    item.append(meta, body);
    if (event.file) {
      item.append(this.fileLink(event.file));
      this.addFile(event.file, event.author);
    }
    const empty = this.log.querySelector(".chat-empty");
    if (empty) empty.remove();
    this.log.append(item);
    this.clearTyping(event.author ? event.author.id : null);
    if (stick) this.scrollToEnd(true);
    if (!event.author || event.author.id !== this.me.id) {
      this.dispatchEvent(new CustomEvent("incoming", { detail: event }));
    }
    return true;
  }

  fileLink(file) {
    const link = element("a", "chat-file");
    link.href = file.url;
    link.setAttribute("download", "");
    link.append(element("span", "chat-file-name", file.name), element("span", "muted small", formatSize(file.size)));
    return link;
  }

  addFile(file, author) {
    if (!this.files || this.fileIds.has(file.id)) return;
    this.fileIds.add(file.id);
    const empty = this.files.querySelector(".files-empty");
    if (empty) empty.remove();
    const item = element("li", "file-row");
    item.dataset.fileId = String(file.id);
    const link = element("a", "file-name", file.name);
    link.href = file.url;
    link.setAttribute("download", "");
    const meta = element("span", "muted small", `${formatSize(file.size)}${author ? ` · ${author.name}` : ""}`);
    item.append(link, meta);
    this.files.append(item);
  }

  showTyping(user) {
    if (!user || user.id === this.me.id) return;
    const current = this.typers.get(user.id);
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => this.clearTyping(user.id), TYPING_SHOW_MS);
    this.typers.set(user.id, { name: user.name, timer });
    this.renderTyping();
  }

  clearTyping(userId) {
    const current = this.typers.get(userId);
    if (!current) return;
    clearTimeout(current.timer);
    this.typers.delete(userId);
    this.renderTyping();
  }

  renderTyping() {
    const names = [...this.typers.values()].map((t) => t.name);
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length > 1) text = `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
    this.typingLine.textContent = text;
    this.typingLine.hidden = !text;
  }
}
