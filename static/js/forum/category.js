// A category's thread list, live: when someone starts a thread here, the list reloads in place
// (the server renders it, so what each reader may see stays the server's decision).

import { ReconnectingSocket, socketUrl } from "../room/socket.js";

const list = document.querySelector("[data-live-category]");
if (list) {
  const categoryId = list.dataset.liveCategory;
  const note = document.getElementById("thread-list-live");
  const socket = new ReconnectingSocket(() => socketUrl(`/ws/forum/categories/${categoryId}/`));
  socket.addEventListener("message", async ({ detail: event }) => {
    if (event.type !== "thread") return;
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("[data-live-category]");
    if (!fresh) return;
    list.replaceChildren(...fresh.childNodes);
    const live = document.getElementById("thread-list-live");
    if (live) live.textContent = "A new thread was just started.";
    else if (note) note.textContent = "A new thread was just started.";
  });
  socket.addEventListener("status", ({ detail }) => {
    list.dataset.live = detail.status === "open" ? "1" : "0";
  });
  socket.start();
}
