// Help requests: a request's page (/ws/help/<id>/) and a tutor's offers (/ws/help/offers/).
// The server only says that something changed; the page then reloads its partial (HTMX, on
// the "help-changed" body event). The partials also poll every 3 s, so the page stays right
// when the socket is missing or down.

import { ReconnectingSocket, socketUrl } from "../room/socket.js";

const root = document.querySelector("[data-help-socket]");
if (root) {
  const status = root.querySelector("[data-help-live]");
  const socket = new ReconnectingSocket(() => socketUrl(root.dataset.helpSocket));
  socket.addEventListener("message", ({ detail: event }) => {
    if (event.type === "help.request" || event.type === "help.offer") {
      document.body.dispatchEvent(new CustomEvent("help-changed", { detail: event }));
    }
  });
  socket.addEventListener("status", ({ detail }) => {
    if (!status) return;
    status.textContent = detail.status === "open" ? "Updates live" : "Checking every few seconds";
  });
  socket.start();
}
