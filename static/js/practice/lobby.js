// The practice lobby: the list of open public sessions reloads (HTMX) whenever the server says
// it changed, over /ws/practice/?lobby=1; HTMX also refreshes it every 30 s as a fallback.

import { ReconnectingSocket, socketUrl } from "../room/socket.js";

const status = document.getElementById("lobby-live");
const socket = new ReconnectingSocket(() => socketUrl("/ws/practice/?lobby=1"));
socket.addEventListener("message", ({ detail: event }) => {
  if (event.type === "lobby") document.body.dispatchEvent(new CustomEvent("lobby-changed"));
});
socket.addEventListener("status", ({ detail }) => {
  status.textContent = detail.status === "open" ? "Updates live" : "Reconnecting…";
});
socket.start();
