// A WebSocket that reconnects by itself: exponential backoff with full jitter, a heartbeat to
// notice dead connections, and a URL rebuilt on every attempt (so a room socket resumes with
// ?last_id= of the last chat message seen). Same-origin URLs only, built from location.

export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_LOGGED_OUT = 4401;

/** ws(s)://<this host><path> */
export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** The delay before reconnect attempt ``attempt`` (0-based): "full jitter" backoff. */
export function backoffDelay(attempt, { base = 500, max = 15000, random = Math.random } = {}) {
  const ceiling = Math.min(max, base * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class ReconnectingSocket extends EventTarget {
  /**
   * @param {() => string} url  called before each attempt
   * @param {object} options  heartbeatMs (send {"type":"ping"}), staleMs (no frame → reconnect),
   *   base / max (backoff), rate / burst: at most ``rate`` messages a second after a ``burst``
   *   (the server refuses more); extra messages wait in a queue instead of being refused.
   */
  constructor(url, { heartbeatMs = 20000, staleMs = 45000, base = 500, max = 15000, rate = 0, burst = 0 } = {}) {
    super();
    this.url = url;
    this.heartbeatMs = heartbeatMs;
    this.staleMs = staleMs;
    this.base = base;
    this.max = max;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.status = "idle";
    this.retryAt = 0;
    this.lastFrameAt = 0;
    this.everOpened = false;
    this.retryTimer = null;
    this.heartbeat = null;
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.tokensAt = Date.now();
    this.queue = [];
    this.drainTimer = null;
    this.onOnline = () => this.retryNow();
    window.addEventListener("online", this.onOnline);
  }

  start() {
    this.stopped = false;
    this.open();
    return this;
  }

  setStatus(status, detail = {}) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status, ...detail } }));
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.stopped) return;
    this.setStatus(this.attempt ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (error) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      const reconnected = this.attempt > 0 || this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.setStatus("open", { reconnected });
      this.startHeartbeat();
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && data.type === "pong") return;
      this.dispatchEvent(new CustomEvent("message", { detail: data }));
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.stopHeartbeat();
      this.queue = [];
      this.ws = null;
      if (event.code === CLOSE_FORBIDDEN || event.code === CLOSE_LOGGED_OUT) {
        this.stopped = true;
        this.setStatus("refused", { code: event.code });
        return;
      }
      this.scheduleRetry();
    });
  }

  scheduleRetry() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, { base: this.base, max: this.max });
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setStatus("waiting", { delay, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** Skip the wait (the browser says it is online again, or the user asked). */
  retryNow() {
    if (this.stopped || this.ws) return;
    this.open();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastFrameAt > this.staleMs) {
        // No frame (not even a pong) for too long: the connection is dead without knowing it.
        this.drop();
        return;
      }
      this.send({ type: "ping" });
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  get isOpen() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  /** Send a JSON message; false when not connected (the caller decides what to keep). */
  send(message) {
    if (!this.isOpen) return false;
    if (!this.rate) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    this.queue.push(message);
    this.drain();
    return true;
  }

  refill() {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate);
    this.tokensAt = now;
  }

  drain() {
    clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.refill();
    while (this.queue.length && this.tokens >= 1 && this.isOpen) {
      this.tokens -= 1;
      this.ws.send(JSON.stringify(this.queue.shift()));
    }
    if (!this.isOpen) {
      this.queue = []; // addressed to a connection that is gone
      return;
    }
    if (this.queue.length) this.drainTimer = setTimeout(() => this.drain(), Math.ceil(1000 / this.rate));
  }

  /** Close the current connection and reconnect as after a network loss (also for tests). */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.stopHeartbeat();
    try {
      ws.close();
    } catch {
      /* already closing */
    }
    this.scheduleRetry();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    window.removeEventListener("online", this.onOnline);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
    this.setStatus("closed");
  }
}
