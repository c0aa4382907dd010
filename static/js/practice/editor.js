/* PeerLearn code editor: Monaco behind a small API. No CDN: Monaco's AMD build is served by
 * Django from node_modules/monaco-editor/min (static prefix vendor/monaco).
 *
 *   import { createEditor } from "…/js/practice/editor.js";
 *   const editor = await createEditor(element, { language: "python", value, onChange, onSave });
 *   editor.getValue(); editor.setValue(text); editor.setLanguage("cpp", text);
 *   editor.focus(); editor.dispose();
 *
 * - language: "python" | "cpp" | "javascript". Highlighting, brackets and indentation only (Monaco's
 *   Monarch tokenizers); no language service, so JavaScript gets no TypeScript diagnostics.
 * - onChange(text) runs after every edit the person makes (debouncing is the caller's job);
 *   setValue/setLanguage do not call it. onSave() runs on Ctrl/Cmd+S instead of the browser's
 *   "save page" dialog.
 * - The theme follows the site's (data-theme on <html>, else prefers-color-scheme), live.
 *
 * Content-Security-Policy (see the practice views' csp_override): Monaco adds <style> elements
 * and style="" attributes at run time. The <style> elements get the page's CSP nonce, taken from
 * <meta property="csp-nonce" nonce="…"> or else the first <script nonce>, so the page needs
 * style-src-elem 'self' 'nonce-…'; the attributes need style-src-attr 'unsafe-inline'; Monaco's
 * icon font is a data: URL in its CSS (font-src data:). The editor's web worker is a same-origin
 * file: no blob: and no eval.
 */

const VS = new URL("../../vendor/monaco/vs", import.meta.url).href;
const LANGUAGES = {
  python: { id: "python", label: "Python", tabSize: 4 },
  cpp: { id: "cpp", label: "C++", tabSize: 4 },
  javascript: { id: "javascript", label: "JavaScript", tabSize: 2 },
};
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

let monacoReady = null;

function languageOf(language) {
  const spec = LANGUAGES[language];
  if (!spec) throw new Error(`createEditor: unsupported language ${JSON.stringify(language)}`);
  return spec;
}

function pageNonce() {
  const holder = document.querySelector('meta[property="csp-nonce"], script[nonce]');
  return holder ? holder.nonce : "";
}

// Monaco creates its <style> elements with document.createElement("style") and has no nonce
// option: give every style element made by script the page's nonce.
function nonceStyleElements(nonce) {
  if (!nonce) {
    console.warn('createEditor: no CSP nonce on the page (<meta property="csp-nonce" nonce="…">)');
    return;
  }
  const create = document.createElement;
  document.createElement = function createElement(tagName, options) {
    const element = create.call(this, tagName, options);
    if (element.localName === "style") element.nonce = nonce;
    return element;
  };
}

function loadScript(src, nonce) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.nonce = nonce;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

// The editor worker is a content-hashed file under vs/assets/; editor.main.js names it.
async function editorWorkerUrl() {
  const response = await fetch(`${VS}/editor/editor.main.js`);
  const match = (await response.text()).match(/assets\/editor\.worker-[\w-]+\.js/);
  if (!match) throw new Error("createEditor: Monaco's editor worker was not found");
  return `${VS}/${match[0]}`;
}

async function loadMonaco() {
  const nonce = pageNonce();
  nonceStyleElements(nonce);
  await loadScript(`${VS}/loader.js`, nonce);
  const [monaco, workerUrl] = await Promise.all([
    new Promise((resolve, reject) => {
      window.require.config({ paths: { vs: VS }, cspNonce: nonce });
      window.require(["vs/editor/editor.main"], resolve, reject);
    }),
    editorWorkerUrl(),
  ]);
  // editor.main.js installs workers started from blob: URLs; use the file itself instead.
  window.MonacoEnvironment = {
    getWorker: () => new Worker(workerUrl, { name: "monaco-editor-worker" }),
  };
  // JavaScript would otherwise start the 7 MB TypeScript worker for diagnostics and completion.
  monaco.typescript.javascriptDefaults.setModeConfiguration({});
  followSiteTheme(monaco);
  return monaco;
}

function cssVariable(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function siteIsDark() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen) return chosen === "dark";
  return window.matchMedia("(prefers-color-scheme: dark)").matches;
}

// Monaco colours taken from the site's CSS variables (when they are plain hex colours).
const SITE_COLORS = {
  "editor.background": "--surface",
  "editorGutter.background": "--surface",
  "editorWidget.background": "--surface-2",
  "editorSuggestWidget.background": "--surface-2",
  "editorHoverWidget.background": "--surface-2",
  // Line numbers as readable as the site's muted text (Monaco's own fall under 4.5:1).
  "editorLineNumber.foreground": "--muted",
  "editorLineNumber.dimmedForeground": "--muted",
};

// Comments in a green that keeps 4.5:1 against the editor's background in either theme.
const COMMENT_COLOR = { light: "3f6e2f", dark: "8cc46e" };

// One theme for all editors on the page (Monaco's themes are global).
function applyTheme(monaco) {
  const colors = {};
  for (const [key, variable] of Object.entries(SITE_COLORS)) {
    const value = cssVariable(variable);
    if (/^#[0-9a-f]{6}$/i.test(value)) colors[key] = value;
  }
  const dark = siteIsDark();
  const base = dark ? "vs-dark" : "vs";
  const rules = [{ token: "comment", foreground: COMMENT_COLOR[dark ? "dark" : "light"] }];
  monaco.editor.defineTheme("peerlearn", { base, inherit: true, rules, colors });
  monaco.editor.setTheme("peerlearn");
}

function followSiteTheme(monaco) {
  applyTheme(monaco);
  const update = () => applyTheme(monaco);
  new MutationObserver(update).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["data-theme"],
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", update);
}

export async function createEditor(
  element,
  { language, value = "", readOnly = false, onChange, onSave } = {},
) {
  let spec = languageOf(language);
  monacoReady ??= loadMonaco().catch((error) => {
    monacoReady = null; // let a later call try again
    throw error;
  });
  const monaco = await monacoReady;

  const editor = monaco.editor.create(element, {
    value,
    language: spec.id,
    readOnly,
    ariaLabel: `Code editor (${spec.label})`,
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    overviewRulerBorder: false,
    hideCursorInOverviewRuler: true,
    renderLineHighlightOnlyWhenFocus: true,
    padding: { top: 8, bottom: 8 },
    wordWrap: "off",
    lineNumbers: "on",
    fontSize: 14,
    fontFamily: cssVariable("--mono") || MONO,
    tabSize: spec.tabSize,
    insertSpaces: true,
    detectIndentation: false,
    bracketPairColorization: { enabled: true },
    guides: { bracketPairs: "active" },
  });
  const model = editor.getModel();

  let programmatic = false;
  const setValue = (text) => {
    programmatic = true;
    try {
      model.setValue(text);
    } finally {
      programmatic = false;
    }
  };
  model.onDidChangeContent(() => {
    if (!programmatic && onChange) onChange(model.getValue());
  });
  // An action, not addCommand: its keybinding belongs to this editor even with several on a page.
  editor.addAction({
    id: "peerlearn.save",
    label: "Save",
    keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS],
    run: () => onSave?.(),
  });

  return {
    getValue: () => model.getValue(),
    setValue,
    setLanguage(newLanguage, text) {
      spec = languageOf(newLanguage);
      monaco.editor.setModelLanguage(model, spec.id);
      model.updateOptions({ tabSize: spec.tabSize, indentSize: spec.tabSize });
      editor.updateOptions({ ariaLabel: `Code editor (${spec.label})` });
      if (text !== undefined) setValue(text);
    },
    focus: () => editor.focus(),
    dispose: () => editor.dispose(),
  };
}
