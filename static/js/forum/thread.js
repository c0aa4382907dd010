// A thread's live updates over /ws/forum/threads/<id>/: new replies (fetched as this viewer
// sees them), scores, the accepted answer; votes and accepting go through fetch.
const csrf = () => document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";

class LiveThread {
  constructor(root) {
    this.root = root;
    this.replies = root.querySelector("[data-replies]");
    this.status = root.querySelector("[data-live-status]");
    this.banner = root.querySelector("[data-live-banner]");
    this.fragmentUrl = root.dataset.fragmentUrl;
    this.retry = 1000;
    this.connect();
    root.addEventListener("submit", (event) => this.onSubmit(event));
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new WebSocket(`${scheme}://${location.host}${this.root.dataset.ws}`);
    this.socket.addEventListener("open", () => { this.retry = 1000; this.setLive(true); });
    this.socket.addEventListener("message", (m) => this.onEvent(JSON.parse(m.data)));
    this.socket.addEventListener("close", (e) => {
      this.setLive(false);
      if (e.code !== 4403 && e.code !== 4401) setTimeout(() => this.connect(), this.retry *= 2);
    });
  }

  setLive(on) {
    if (!this.status) return;
    this.status.classList.toggle("is-live", on);
    this.status.textContent = on ? "live" : "offline";
    this.root.dataset.live = on ? "1" : "0";
  }

  async onEvent(event) {
    if (event.type === "reply") await this.addReply(event.id);
    else if (event.type === "score") this.setScore(event);
    else if (event.type === "accepted") this.setAccepted(event.reply);
    else if (event.type === "changed") this.note("This thread changed. Reload to see it.");
  }

  async addReply(id, replace = false) {
    const existing = this.root.querySelector(`#reply-${id}`);
    if (existing && !replace) return;
    const response = await fetch(this.fragmentUrl.replace("/0/", `/${id}/`), { credentials: "same-origin" });
    if (!response.ok) return;
    const holder = document.createElement("div");
    holder.innerHTML = (await response.text()).trim();
    const node = holder.firstElementChild;
    if (!node) return;
    this.root.querySelector("[data-no-replies]")?.remove();
    if (existing) existing.replaceWith(node);
    else {
      node.classList.add("is-new");
      this.replies.append(node);
      const count = this.root.querySelector("[data-reply-count]");
      if (count) count.textContent = String(Number(count.textContent) + 1);
    }
  }

  setScore({ post, id, score }) {
    const box = this.root.querySelector(`[data-vote][data-kind="${post}"][data-id="${id}"] [data-score]`);
    if (box) box.textContent = String(score);
  }

  setAccepted(replyId) {
    this.root.querySelectorAll("[data-reply]").forEach((node) => {
      const on = Number(node.dataset.reply) === replyId;
      node.classList.toggle("is-accepted", on);
      node.querySelector("[data-accepted-mark]").hidden = !on;
    });
    // The accept buttons depend on the state: refresh them for people who can accept.
    if (this.root.querySelector("[data-accept-form]")) {
      this.root.querySelectorAll("[data-reply]").forEach((node) => this.addReply(node.dataset.reply, true));
    }
  }

  note(text) {
    this.banner.textContent = text;
    this.banner.hidden = false;
  }

  async onSubmit(event) {
    const form = event.target;
    const vote = form.closest("[data-vote]");
    if (!vote && !form.matches("[data-accept-form]")) return;
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form, event.submitter));
    const response = await fetch(form.action, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { this.note(data.error?.message || "That did not work."); return; }
    if (vote) {
      vote.querySelector("[data-score]").textContent = String(data.score);
      vote.querySelectorAll(".vote-btn").forEach((b) => {
        const dir = b.getAttribute("aria-label") === "Vote up" ? 1 : -1;
        const on = data.value === dir;
        b.classList.toggle("is-on", on);
        b.setAttribute("aria-pressed", String(on));
        b.value = on ? "0" : String(dir);
      });
    }
  }
}

const root = document.querySelector("[data-thread]");
if (root) window.peerlearnThread = new LiveThread(root);
