// The practice-partner page: while waiting, the status partial polls every 2 s (HTMX; a match
// answers with HX-Redirect to the session). When /ws/practice/partners/ is routed, a "matched"
// event sends the page to the session at once and "queue" reloads the place; without the
// socket the poll alone does the job.

import { ReconnectingSocket, socketUrl } from "../room/socket.js";

const live = document.getElementById("partners-live");
const socket = new ReconnectingSocket(() => socketUrl("/ws/practice/partners/"), { max: 30000 });

function waitingOn() {
  const status = document.getElementById("partner-status");
  return status && status.dataset.state === "waiting" ? status.dataset.request : null;
}

socket.addEventListener("message", ({ detail: event }) => {
  if (event.type === "matched" && event.url) {
    const request = waitingOn();
    if (request === null || String(event.request) === request) location.assign(event.url);
  } else if (event.type === "queue") {
    document.body.dispatchEvent(new CustomEvent("queue-changed"));
  }
});
socket.addEventListener("status", ({ detail }) => {
  if (live) live.textContent = detail.status === "open" ? "Updates live" : "Checking every 2 s";
});
socket.start();
