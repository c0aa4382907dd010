// A problem's workspace (alone, or in a practice session): the editor with per-language
// autosaved drafts, Run and Submit, live judging progress, and in a session the partner's
// progress. Progress arrives over /ws/practice/ and, when no event comes (a worker without a
// shared channel layer), by polling the submission's status. Code is only ever sent to this
// user's own endpoints; the partner's page receives counts and verdicts, never code.

import { createEditor } from "./editor.js";
import { csrfToken } from "../room/chat.js";
import { ReconnectingSocket, socketUrl } from "../room/socket.js";

const $ = (id) => document.getElementById(id);
const readJson = (id) => JSON.parse($(id).textContent);
const config = readJson("practice-config");
const drafts = readJson("practice-drafts");
const starter = readJson("practice-starter");
const languageKey = `practice.language.${config.problem}`;
const SAVE_DELAY_MS = 800;
const POLL_MS = 1000;

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    /* an empty or HTML body: handled below */
  }
  if (!response.ok) {
    const message = data.error?.message || `The server answered ${response.status}. Try again.`;
    throw Object.assign(new Error(message), { code: data.error?.code, status: response.status });
  }
  return data;
}

// --- tabs -------------------------------------------------------------------------------------

function tabs(container) {
  const buttons = [...container.querySelectorAll('[role="tab"]')];
  const select = (button) => {
    for (const other of buttons) {
      const selected = other === button;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
  };
  for (const button of buttons) button.addEventListener("click", () => select(button));
  container.addEventListener("keydown", (event) => {
    const index = buttons.indexOf(document.activeElement);
    if (index < 0 || !["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const next = buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    next.focus();
    select(next);
  });
  return (id) => select($(id));
}
document.querySelectorAll(".ws-tabs").forEach(tabs);
const showConsoleTab = tabs(document.querySelector(".console-tabs"));

// --- the editor and drafts --------------------------------------------------------------------

const languageSelect = $("language");
const saveStatus = $("save-status");
let language = localStorage.getItem(languageKey) || "python";
if (!(language in starter)) language = Object.keys(starter)[0];
languageSelect.value = language;
const code = { ...drafts };
let saveTimer = null;
let savePending = null;

async function saveDraft() {
  clearTimeout(saveTimer);
  saveTimer = null;
  const body = { language, code: code[language] };
  saveStatus.textContent = "Saving…";
  try {
    savePending = postJson(config.draftUrl, body);
    await savePending;
    saveStatus.textContent = "Draft saved";
  } catch (error) {
    saveStatus.textContent = `Not saved: ${error.message}`;
  } finally {
    savePending = null;
  }
}

const editor = await createEditor($("editor"), {
  language,
  value: code[language] ?? starter[language] ?? "",
  onChange(text) {
    code[language] = text;
    saveStatus.textContent = "Editing…";
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, SAVE_DELAY_MS);
  },
  onSave: () => saveDraft(),
});

languageSelect.addEventListener("change", async () => {
  if (saveTimer) await saveDraft();
  language = languageSelect.value;
  localStorage.setItem(languageKey, language);
  editor.setLanguage(language, code[language] ?? starter[language] ?? "");
  editor.focus();
});

$("reset-code").addEventListener("click", () => {
  if (!confirm("Replace your code with the starter code? Your current draft is overwritten.")) return;
  code[language] = starter[language] ?? "";
  editor.setValue(code[language]);
  saveDraft();
});

window.addEventListener("beforeunload", (event) => {
  if (saveTimer || savePending) {
    saveDraft();
    event.preventDefault();
  }
});

// --- custom input -----------------------------------------------------------------------------

const useCustom = $("use-custom");
useCustom.addEventListener("change", () => {
  $("custom-box").hidden = !useCustom.checked;
});

// --- judging ----------------------------------------------------------------------------------

const progressBox = $("judge-progress");
const resultBox = $("result");
const runButton = $("btn-run");
const submitButton = $("btn-submit");
let current = null; // { id, mode, lastEventAt }
let pollTimer = null;

function describe(event) {
  if (event.state === "queued") return "Waiting for the judge…";
  if (event.state === "running") {
    return event.total ? `Running test ${Math.min(event.done + 1, event.total)} of ${event.total}…` : "Compiling…";
  }
  if (event.state === "failed") return "Could not be judged";
  return event.verdict_label || "Done";
}

function setBusy(busy) {
  runButton.disabled = busy;
  submitButton.disabled = busy;
  $("editor").setAttribute("aria-busy", String(busy));
}

async function loadResult(id) {
  const response = await fetch(config.resultUrl.replace("/0/", `/${id}/`), { credentials: "same-origin" });
  if (!response.ok) {
    resultBox.innerHTML = "";
    resultBox.append(Object.assign(document.createElement("p"), { className: "errorlist", textContent: "Could not load the result. Reload the page." }));
    return;
  }
  resultBox.innerHTML = await response.text();
  showConsoleTab("tab-result");
}

function addToHistory(event) {
  const list = $("history");
  if (!list || event.mode !== "submit") return;
  list.querySelector(".history-empty")?.remove();
  const item = document.createElement("li");
  const link = Object.assign(document.createElement("a"), { href: "#" });
  link.dataset.result = event.submission;
  const verdict = Object.assign(document.createElement("span"), {
    className: `verdict v-${event.verdict || event.state}`,
    textContent: event.verdict_label || describe(event),
  });
  link.append(verdict);
  const meta = Object.assign(document.createElement("span"), {
    className: "small muted",
    textContent: ` ${languageSelect.selectedOptions[0].textContent} · ${event.passed}/${event.total} · just now`,
  });
  item.append(link, meta);
  list.prepend(item);
}

function finished(event) {
  clearInterval(pollTimer);
  current = null;
  setBusy(false);
  progressBox.textContent = describe(event);
  progressBox.dataset.verdict = event.verdict || event.state;
  addToHistory(event);
  loadResult(event.submission);
}

function onMyProgress(event) {
  if (!current || event.submission !== current.id) return;
  current.lastEventAt = Date.now();
  if (event.state === "done" || event.state === "failed") {
    finished(event);
  } else {
    progressBox.textContent = describe(event);
    progressBox.dataset.verdict = "running";
  }
}

async function poll() {
  if (!current || Date.now() - current.lastEventAt < POLL_MS * 1.5) return;
  try {
    const response = await fetch(config.statusUrl.replace(/0$/, String(current.id)), { credentials: "same-origin" });
    if (!response.ok) return;
    const s = await response.json();
    onMyProgress({
      submission: s.id, mode: s.mode, state: s.status, done: s.tests_done, total: s.total,
      passed: s.passed, verdict: s.verdict, verdict_label: s.verdict_label,
    });
    if (current) current.lastEventAt = 0; // keep polling until an event arrives
  } catch {
    /* offline: try again */
  }
}

async function judge(mode) {
  if (current) return;
  if (saveTimer) saveDraft();
  const body = { language, code: editor.getValue(), mode };
  if (config.session) body.session = config.session;
  if (mode === "run" && useCustom.checked) body.input = $("custom-input").value;
  setBusy(true);
  progressBox.textContent = mode === "run" ? "Sending your code…" : "Submitting…";
  progressBox.dataset.verdict = "running";
  try {
    const answer = await postJson(config.submitUrl, body);
    // Judged already (a synchronous task backend) → fetch at once; otherwise wait for events,
    // polling only when none arrive.
    const judged = answer.status === "done" || answer.status === "failed";
    current = { id: answer.id, mode, lastEventAt: judged ? 0 : Date.now() };
    clearInterval(pollTimer);
    pollTimer = setInterval(poll, POLL_MS);
    if (judged) await poll();
  } catch (error) {
    setBusy(false);
    progressBox.textContent = "";
    resultBox.innerHTML = "";
    resultBox.append(Object.assign(document.createElement("p"), { className: "errorlist", role: "alert", textContent: error.message }));
    showConsoleTab("tab-result");
  }
}
runButton.addEventListener("click", () => judge("run"));
submitButton.addEventListener("click", () => judge("submit"));
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    event.preventDefault();
    judge(event.shiftKey ? "submit" : "run");
  }
});

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-result]");
  if (!link) return;
  event.preventDefault();
  loadResult(link.dataset.result);
});

// --- the partner (sessions only) --------------------------------------------------------------

const partnerBox = $("partner");
function onPartnerProgress(event) {
  const text = $("partner-progress");
  if (!text) return;
  text.dataset.verdict = event.verdict || event.state;
  if (event.state === "queued" || event.state === "running") {
    text.textContent = event.mode === "submit"
      ? (event.total ? `submitting — test ${Math.min(event.done + 1, event.total)} of ${event.total}` : "submitting…")
      : "running the examples…";
  } else if (event.state === "failed") {
    text.textContent = "could not be judged";
  } else if (event.mode === "submit") {
    text.textContent = `submitted — ${event.passed}/${event.total} passed` + (event.verdict === "accepted" ? " · Accepted" : ` · ${event.verdict_label}`);
  } else {
    text.textContent = "ran the examples";
  }
}

function onSession(event) {
  if (event.status === "ended") {
    const who = event.ended_by && event.ended_by.id !== config.me ? `${event.ended_by.name} left` : "You left";
    if (window.peerlearnRoom?.ended) {
      window.peerlearnRoom.ended("The session is over", `${who}. The summary shows who solved it; the chat, notes and files stay there.`);
    } else {
      location.href = `${location.pathname}summary/`;
    }
  } else if (event.guest && !partnerBox.dataset.partnerId && event.guest.id !== config.me) {
    // A partner joined: reload to show them (the draft is saved first).
    (saveTimer ? saveDraft() : Promise.resolve()).then(() => location.reload());
  }
}

$("copy-link")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  try {
    await navigator.clipboard.writeText(button.dataset.link);
    button.textContent = "Link copied";
  } catch {
    prompt("Copy this link:", button.dataset.link);
  }
});

// --- the socket -------------------------------------------------------------------------------

const socket = new ReconnectingSocket(() =>
  socketUrl(config.session ? `/ws/practice/?session=${encodeURIComponent(config.session)}` : "/ws/practice/"),
);
socket.addEventListener("message", ({ detail: event }) => {
  if (event.type === "progress") {
    if (event.user.id === config.me) onMyProgress(event);
    else onPartnerProgress(event);
  } else if (event.type === "session") {
    onSession(event);
  }
});
socket.start();

window.peerlearnPractice = { editor, socket, judge };
