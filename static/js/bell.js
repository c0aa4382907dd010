// The notification bell, live: a per-user WebSocket (/ws/notifications/) that reconnects by
// itself, updates the bell's unread count and shows a small toast for each new notification.

import { ReconnectingSocket, socketUrl } from "./room/socket.js";

const bell = document.getElementById("notification-bell");

const STYLES = `
.bell-toasts { position: fixed; right: 16px; bottom: 16px; display: flex; flex-direction: column; gap: 8px; z-index: 1000; max-width: min(360px, calc(100vw - 32px)); }
.bell-toast { display: flex; gap: 10px; align-items: flex-start; background: var(--surface, #fff); color: var(--text, #1b2033); border: 1px solid var(--border, #dfe3ee); border-left: 4px solid var(--brand, #4f46e5); border-radius: 12px; padding: 10px 12px; box-shadow: 0 8px 28px rgba(20, 24, 40, .18); font-size: .92rem; animation: bell-toast-in .2s ease-out; }
.bell-toast a { color: inherit; font-weight: 600; flex: 1; }
.bell-toast button { background: none; border: 0; color: var(--muted, #5b6480); cursor: pointer; font-size: 1.1rem; line-height: 1; padding: 0 2px; }
@keyframes bell-toast-in { from { transform: translateY(8px); opacity: 0; } to { transform: none; opacity: 1; } }
.bell.bell-ring svg.i { animation: bell-ring .6s ease-in-out 2; transform-origin: 50% 10%; }
@keyframes bell-ring { 0%, 100% { transform: rotate(0); } 25% { transform: rotate(14deg); } 75% { transform: rotate(-14deg); } }
`;

function addStyles() {
  // A constructed stylesheet: allowed by the CSP (no inline <style> or style attributes).
  if (!("adoptedStyleSheets" in document)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLES);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

export function setUnread(element, count) {
  element.dataset.unreadCount = String(count);
  element.setAttribute("aria-label", count ? `Notifications, ${count} unread` : "Notifications");
  let badge = element.querySelector("[data-unread-badge]");
  if (!count) {
    if (badge) badge.remove();
    return;
  }
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "bell-count";
    badge.setAttribute("data-unread-badge", "");
    element.append(badge);
  }
  badge.textContent = count > 99 ? "99+" : String(count);
}

function toastBox() {
  let box = document.querySelector(".bell-toasts");
  if (!box) {
    box = document.createElement("div");
    box.className = "bell-toasts";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  return box;
}

export function showToast({ title, url }) {
  const toast = document.createElement("div");
  toast.className = "bell-toast";
  const link = document.createElement(url ? "a" : "span");
  if (url) link.href = url;
  link.textContent = title;
  const close = document.createElement("button");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => toast.remove());
  toast.append(link, close);
  const box = toastBox();
  box.append(toast);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => toast.remove(), 8000);
  return toast;
}

if (bell) {
  addStyles();
  const socket = new ReconnectingSocket(() => socketUrl("/ws/notifications/"), { heartbeatMs: 30000, staleMs: 75000 });
  socket.addEventListener("message", ({ detail: event }) => {
    if (event.type !== "notification") return;
    setUnread(bell, event.unread_count);
    bell.classList.remove("bell-ring");
    void bell.offsetWidth; // restart the animation
    bell.classList.add("bell-ring");
    showToast(event);
  });
  socket.start();
  window.addEventListener("pagehide", () => socket.close());
  window.peerlearnBell = { socket, setUnread: (count) => setUnread(bell, count) };
}
