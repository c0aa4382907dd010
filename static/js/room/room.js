// The live room page: one WebSocket (/ws/rooms/<id>/) carrying presence, chat, typing,
// signaling, screen-share state, whiteboard and notes; the call, chat, whiteboard and notes
// modules wired to it. ``window.peerlearnRoom`` holds the parts, for debugging and the
// browser tests. ``?relay=1`` forces the call through TURN relays (iceTransportPolicy "relay").

import { Call } from "./call.js";
import { Chat, formatTime, uploadFile } from "./chat.js";
import { Notes } from "./notes.js";
import { ReconnectingSocket, socketUrl } from "./socket.js";
import { Whiteboard } from "./whiteboard.js";

const root = document.getElementById("room");
const $ = (id) => document.getElementById(id);
const data = root.dataset;
const me = { id: Number(data.meId), name: data.meName };
const roomId = Number(data.roomId);
const forceRelay = new URLSearchParams(location.search).get("relay") === "1";

// --- the socket ---------------------------------------------------------------------------------

let chat = null;
let board = null;
let notes = null;
// What this page already holds, so the join's state carries only what it lacks.
function cursors() {
  return {
    last_id: chat ? chat.cursor : Number(data.lastChatId || 0),
    strokes_after: board ? board.lastStrokeId() : 0,
    notes_version: notes ? notes.baseVersion : Number(data.notesVersion || 0),
  };
}
// The server allows 20 messages a second after a burst of 60: stay under it, queueing the rest.
const socket = new ReconnectingSocket(
  () => socketUrl(`/ws/rooms/${roomId}/?${new URLSearchParams(cursors())}`),
  { rate: 15, burst: 40 },
);
const send = (message) => socket.send(message);

// --- toasts and status ------------------------------------------------------------------------

const toastBox = $("room-toast");
let toastTimer = null;
function toast(text, { error = false, ms = 4000 } = {}) {
  toastBox.textContent = text;
  toastBox.classList.toggle("error", error);
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toastBox.hidden = true;
  }, ms);
}

const connPill = $("conn-status");
let countdown = null;
socket.addEventListener("status", ({ detail }) => {
  clearInterval(countdown);
  connPill.dataset.state = detail.status;
  if (detail.status === "open") {
    connPill.textContent = "Connected";
  } else if (detail.status === "waiting") {
    if (data.closesAt && Date.now() > new Date(data.closesAt).getTime()) {
      socket.close();
      ended("The session is over", "The room has closed. Its chat, notes, whiteboard and files stay on the session's page.");
      return;
    }
    if (detail.attempt >= 3) probeAccess();
    const tick = () => {
      const left = Math.max(0, Math.ceil((socket.retryAt - Date.now()) / 1000));
      connPill.textContent = left ? `Reconnecting in ${left}s…` : "Reconnecting…";
    };
    tick();
    countdown = setInterval(tick, 500);
  } else if (detail.status === "refused") {
    connPill.textContent = "Not connected";
    // The server may have said why just before closing (suspended, session over): keep that.
    if (!$("room-ended").hidden) return;
    ended(
      detail.code === 4401 ? "You were signed out" : "This room is closed to you",
      detail.code === 4401
        ? "Sign in again to come back."
        : "The room is open from shortly before the start until shortly after the end.",
    );
  } else if (detail.status === "closed") {
    connPill.textContent = "Left";
  } else {
    connPill.textContent = detail.status === "reconnecting" ? "Reconnecting…" : "Connecting…";
  }
});
connPill.addEventListener("click", () => socket.retryNow());

// A refused handshake looks like a network error to the browser: after a few failed attempts,
// ask the page itself whether this person may still be here.
let probing = false;
async function probeAccess() {
  if (probing) return;
  probing = true;
  try {
    const response = await fetch(location.pathname, { method: "HEAD", credentials: "same-origin", redirect: "manual" });
    if (response.status === 404 || response.type === "opaqueredirect") {
      socket.close();
      ended("This room is closed to you", "You are no longer signed in, or no longer take part in this session.");
    }
  } catch {
    /* offline: keep trying */
  } finally {
    probing = false;
  }
}

function ended(title, text) {
  call.hangUp();
  $("room-ended-title").textContent = title;
  $("room-ended-text").textContent = text;
  $("room-ended").hidden = false;
}

// --- presence -----------------------------------------------------------------------------------

const online = new Map(); // user id → number of their connections here
function setOnline(userId, delta) {
  const count = Math.max(0, (online.get(userId) || 0) + delta);
  online.set(userId, count);
  const item = document.querySelector(`.presence-person[data-user-id="${userId}"]`);
  if (!item || userId === me.id) return;
  item.classList.toggle("online", count > 0);
  const state = item.querySelector(".presence-state");
  if (state) state.textContent = count > 0 ? "here" : "not here";
}
const peerUsers = new Map(); // peer id → user

// --- the call -----------------------------------------------------------------------------------

const call = new Call({
  signal: (to, payload) => send({ type: "signal", to, data: payload }),
  iceServersUrl: data.iceUrl,
  iceServers: data.iceServers ? JSON.parse(data.iceServers) : null,
  forceRelay,
  tiles: $("tiles"),
  me,
});

const micButton = $("btn-mic");
const camButton = $("btn-cam");
const shareButton = $("btn-share");
function renderControls() {
  micButton.setAttribute("aria-pressed", String(call.micOn));
  micButton.title = call.micOn ? "Mute microphone" : "Unmute microphone";
  camButton.setAttribute("aria-pressed", String(call.cameraOn));
  camButton.title = call.cameraOn ? "Turn camera off" : "Turn camera on";
  const sharing = Boolean(call.screenStream);
  shareButton.setAttribute("aria-pressed", String(sharing));
  shareButton.querySelector(".ctl-label").textContent = sharing ? "Stop sharing" : "Share screen";
  shareButton.title = sharing ? "Stop sharing your screen" : "Share your screen";
  const hasAudio = Boolean(call.localStream && call.localStream.getAudioTracks().length);
  const hasVideo = Boolean(call.localStream && call.localStream.getVideoTracks().length);
  micButton.disabled = !hasAudio;
  camButton.disabled = !hasVideo;
  shareButton.disabled = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
}
micButton.addEventListener("click", () => {
  call.setMic(!call.micOn);
  renderControls();
});
camButton.addEventListener("click", () => {
  call.setCamera(!call.cameraOn);
  renderControls();
});
shareButton.addEventListener("click", async () => {
  if (call.screenStream) {
    call.stopShare();
    return;
  }
  try {
    await call.startShare();
  } catch (error) {
    if (error && error.name !== "NotAllowedError") toast(`Screen sharing failed: ${error.message}`, { error: true });
  }
});
call.addEventListener("share", ({ detail }) => {
  send({ type: "screen", sharing: detail.sharing });
  renderControls();
});
call.addEventListener("media", ({ detail }) => {
  renderControls();
  if (detail.error && !detail.stream) {
    toast("Camera and microphone are unavailable: others can still see the chat, whiteboard and notes.", { error: true, ms: 8000 });
  }
  fillDevices();
});
call.addEventListener("devicechange", () => fillDevices());
call.addEventListener("full", () => toast("The call is full (4 people at most): chat, whiteboard and notes still work."));

const qualityPill = $("quality");
call.addEventListener("quality", ({ detail }) => {
  qualityPill.dataset.level = detail.level;
  qualityPill.querySelector(".quality-text").textContent = detail.level === "none" ? "Waiting for others" : detail.text;
});

// Devices: choose the camera and microphone; a switch is swapped into the call by replaceTrack.
const camSelect = $("cam-select");
const micSelect = $("mic-select");
async function fillDevices() {
  const devices = await call.devices();
  const fill = (select, kind, fallback) => {
    const current = call.currentDeviceId(kind === "videoinput" ? "video" : "audio");
    select.replaceChildren();
    const list = devices.filter((d) => d.kind === kind);
    if (!list.length) {
      select.append(new Option(fallback, ""));
      select.disabled = true;
      return;
    }
    select.disabled = false;
    list.forEach((device, index) => {
      const label = device.label || `${fallback} ${index + 1}`;
      select.append(new Option(label, device.deviceId, false, device.deviceId === current));
    });
  };
  fill(camSelect, "videoinput", "Camera");
  fill(micSelect, "audioinput", "Microphone");
}
for (const [select, kind] of [[camSelect, "video"], [micSelect, "audio"]]) {
  select.addEventListener("change", async () => {
    try {
      await call.switchDevice(kind, select.value);
      renderControls();
      $("devices-note").textContent = "";
    } catch (error) {
      $("devices-note").textContent = `Could not switch: ${error.message}`;
    }
  });
}

$("btn-leave").addEventListener("click", () => {
  call.hangUp();
  socket.close();
});
window.addEventListener("pagehide", () => {
  call.hangUp();
  socket.close();
});

// --- side panel: tabs ---------------------------------------------------------------------------

const tabs = [...document.querySelectorAll('.panel-tabs [role="tab"]')];
function selectTab(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  const badge = tab.querySelector(".tab-badge");
  if (badge) {
    badge.hidden = true;
    badge.textContent = "";
  }
  if (tab.id === "tab-chat") chat.scrollToEnd(true);
}
tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = tabs[(index + step + tabs.length) % tabs.length];
    next.focus();
    selectTab(next);
  });
});
function bump(tabId) {
  const tab = $(tabId);
  if (tab.getAttribute("aria-selected") === "true") return;
  const badge = tab.querySelector(".tab-badge");
  if (!badge) return;
  badge.textContent = String(Number(badge.textContent || 0) + 1);
  badge.hidden = false;
}
const widen = $("panel-widen");
widen.addEventListener("click", () => {
  const wide = root.classList.toggle("panel-wide");
  widen.setAttribute("aria-pressed", String(wide));
});

// --- chat, files, whiteboard, notes ------------------------------------------------------------

chat = new Chat({
  log: $("chat-log"),
  form: $("chat-form"),
  input: $("chat-input"),
  typing: $("chat-typing"),
  status: $("chat-status"),
  fileInput: $("chat-file"),
  uploadUrl: data.uploadUrl,
  me,
  send,
  files: $("file-list"),
  timeZone: data.timezone,
});
chat.addEventListener("gap", () => requestResync());
chat.addEventListener("incoming", ({ detail }) => {
  bump("tab-chat");
  if (detail.file) bump("tab-files");
});

const filesForm = $("files-form");
filesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("files-input");
  const [file] = input.files;
  const status = $("files-status");
  if (!file) return;
  status.textContent = `Uploading ${file.name}…`;
  status.classList.remove("error");
  try {
    await uploadFile(data.uploadUrl, file);
    status.textContent = `${file.name} is shared.`;
    filesForm.reset();
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
  }
});

const strokesData = JSON.parse($("wb-strokes").textContent);
board = new Whiteboard($("board"), { me, send, strokes: strokesData });
for (const swatch of document.querySelectorAll(".swatch")) {
  swatch.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".swatch")) other.setAttribute("aria-checked", String(other === swatch));
    board.setTool({ color: swatch.dataset.color, erase: false });
    eraser.setAttribute("aria-pressed", "false");
  });
}
const eraser = $("board-eraser");
eraser.addEventListener("click", () => {
  const on = eraser.getAttribute("aria-pressed") !== "true";
  eraser.setAttribute("aria-pressed", String(on));
  board.setTool({ erase: on });
});
$("board-width").addEventListener("change", (event) => board.setTool({ width: Number(event.target.value) }));
$("board-clear").addEventListener("click", () => {
  if (window.confirm("Clear the whiteboard for everyone?")) board.requestClear();
});

notes = new Notes({
  textarea: $("notes-text"),
  status: $("notes-status"),
  conflict: {
    box: $("notes-conflict"),
    theirs: $("conflict-theirs"),
    yours: $("conflict-yours"),
    merged: $("conflict-merged"),
    keepMine: $("conflict-keep-mine"),
    keepTheirs: $("conflict-keep-theirs"),
    saveMerged: $("conflict-save-merged"),
    who: $("conflict-who"),
  },
  send,
  me,
  version: Number(data.notesVersion || 0),
  text: $("notes-text").value,
});
notes.addEventListener("conflict", () => {
  bump("tab-notes");
  toast("Your notes edit collided with another one: open Notes to choose.", { error: true, ms: 6000 });
});

// --- events from the room socket ----------------------------------------------------------------

// The channel layer lost events (the server says so, or a chat gap did not close): ask for
// a fresh state on this same connection (the call keeps running).
function requestResync() {
  send({ type: "resync", ...cursors() });
}

function peerJoined(peer, user, existing) {
  if (!peerUsers.has(peer)) setOnline(user.id, 1);
  peerUsers.set(peer, user);
  call.peerJoined(peer, user, { existing });
}

function peerLeft(peer) {
  const user = peerUsers.get(peer);
  peerUsers.delete(peer);
  if (user) setOnline(user.id, -1);
  call.peerLeft(peer);
}

let stateCount = 0;
// ms since navigation start (bench/rtc.py reads these)
const metrics = { firstStateMs: null, socketOpenMs: null };
socket.addEventListener("status", ({ detail }) => {
  if (detail.status === "open" && metrics.socketOpenMs === null) metrics.socketOpenMs = performance.now();
});
socket.addEventListener("message", ({ detail: event }) => {
  switch (event.type) {
    case "state": {
      if (metrics.firstStateMs === null) metrics.firstStateMs = performance.now();
      if (event.strokes_full) board.setStrokes(event.strokes);
      else for (const stroke of event.strokes) board.addStroke(stroke);
      notes.onState(event.notes || { version: notes.baseVersion, text: notes.baseText });
      for (const message of event.chat) chat.add(message);
      if (event.resync) {
        // Same connection: reconcile who is here instead of starting over.
        const here = new Set(event.peers.map((p) => p.peer));
        for (const peer of [...peerUsers.keys()]) if (!here.has(peer)) peerLeft(peer);
        for (const p of event.peers) if (!peerUsers.has(p.peer)) peerJoined(p.peer, p.user, true);
        chat.resendPending();
        break;
      }
      stateCount += 1;
      call.setMyId(event.peer_id);
      online.clear();
      document.querySelectorAll(".presence-person").forEach((item) => {
        if (Number(item.dataset.userId) !== me.id) item.classList.remove("online");
      });
      peerUsers.clear();
      if (stateCount > 1) {
        call.socketRestored();
        if (call.screenStream) send({ type: "screen", sharing: true });
      }
      for (const p of event.peers) peerJoined(p.peer, p.user, true);
      chat.resendPending();
      break;
    }
    case "resync":
      requestResync();
      break;
    case "peer.joined":
      peerJoined(event.peer, event.user, Boolean(event.existing));
      if (!event.existing) toast(`${event.user.name} joined`);
      break;
    case "peer.left":
      peerLeft(event.peer);
      break;
    case "chat":
      chat.add(event);
      break;
    case "chat.page":
      for (const message of event.chat) chat.add(message);
      break;
    case "ack":
      chat.ack(event);
      break;
    case "typing":
      chat.showTyping(event.user);
      break;
    case "signal":
      call.handleSignal(event.from, event.from_user, event.data);
      break;
    case "screen":
      if (event.user.id !== me.id) {
        if (!event.sharing) call.removeScreensOf(event.user.id);
        toast(event.sharing ? `${event.user.name} is sharing their screen` : `${event.user.name} stopped sharing`);
      }
      break;
    case "wb.stroke":
      board.addStroke(event);
      break;
    case "wb.clear":
      board.clear();
      if (event.by && event.by.id !== me.id) toast(`${event.by.name} cleared the whiteboard`);
      break;
    case "notes":
      notes.onUpdate(event);
      if (event.by && event.by.id !== me.id) bump("tab-notes");
      break;
    case "notes.conflict":
      notes.onConflict(event);
      break;
    case "error":
      if (event.code === "access_ended" || event.code === "disconnected") {
        ended(event.code === "disconnected" ? "You were signed out" : "The session is over", event.message);
      } else if (event.client_id) {
        chat.refused(event);
      } else if (event.code !== "unknown_peer") {
        toast(event.message, { error: true });
      }
      break;
    default:
      break;
  }
});

// --- the clock ----------------------------------------------------------------------------------

// Booking rooms have an end time; practice rooms last until someone leaves (no clock).
const clock = $("room-clock");
function tickClock() {
  const left = Math.round((new Date(data.endsAt).getTime() - Date.now()) / 60000);
  if (left > 0) clock.textContent = `${left} min left`;
  else clock.textContent = `ended ${-left} min ago · room closes at ${formatTime(new Date(data.closesAt), data.timezone)}`;
}
if (clock && data.endsAt) {
  tickClock();
  setInterval(tickClock, 30000);
}

// --- start --------------------------------------------------------------------------------------

renderControls();
call.start().then(renderControls);
socket.start();

window.peerlearnRoom = { socket, call, chat, board, notes, me, roomId, metrics, ended };
