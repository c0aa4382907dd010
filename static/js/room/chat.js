// The room chat: messages rendered from the server's sanitized HTML (markdown with highlighted
// code), a typing indicator, and sharing a file over HTTP (validated and announced by the server).

const TYPING_SEND_EVERY_MS = 2500;
const TYPING_SHOW_MS = 3500;

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
    this.typingSentAt = 0;
    this.typers = new Map(); // user id → {name, timer}
    this.lastSent = null;
    for (const item of log.querySelectorAll("[data-id]")) this.see(Number(item.dataset.id));
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
    if (!this.sendOut({ type: "chat", body })) {
      this.say("Not connected — your message is kept; send it again once reconnected.", true);
      return;
    }
    this.lastSent = { body, at: Date.now() };
    this.input.value = "";
    this.typingSentAt = 0;
    this.say("");
  }

  /** An error event from the server: a refused chat message goes back into the box. */
  refused(error) {
    if (this.lastSent && Date.now() - this.lastSent.at < 5000 && !this.input.value.trim()) {
      this.input.value = this.lastSent.body;
    }
    this.lastSent = null;
    this.say(error.message || "That message was not sent.", true);
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

  /** Add a chat event ({id, author, html, created_at, file?}); repeats are ignored. */
  add(event) {
    if (this.ids.has(event.id)) return false;
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
