// Markdown editor: Write/Preview tabs; the preview is rendered by the server (the one renderer).
const csrf = () => document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";

class MarkdownEditor {
  constructor(root) {
    this.root = root;
    this.input = root.querySelector("textarea");
    this.preview = root.querySelector("[data-md-preview]");
    this.url = root.dataset.previewUrl;
    root.querySelectorAll("[data-md-tab]").forEach((tab) =>
      tab.addEventListener("click", () => this.show(tab.dataset.mdTab)),
    );
  }

  async show(which) {
    this.root.querySelectorAll("[data-md-tab]").forEach((tab) => {
      const on = tab.dataset.mdTab === which;
      tab.classList.toggle("is-on", on);
      tab.setAttribute("aria-selected", String(on));
    });
    const previewing = which === "preview";
    this.input.hidden = previewing;
    this.preview.hidden = !previewing;
    if (!previewing) return;
    this.preview.textContent = "Rendering…";
    const body = new URLSearchParams({ body: this.input.value });
    const response = await fetch(this.url, {
      method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin",
    });
    this.preview.innerHTML = response.ok ? await response.text() : "<p>Preview unavailable.</p>";
    if (!this.input.value.trim()) this.preview.innerHTML = "<p class='muted'>Nothing to preview.</p>";
  }
}

document.querySelectorAll("[data-md-editor]").forEach((root) => new MarkdownEditor(root));

// Quote: prefill the reply with a markdown quote of that reply (no page load).
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-quote]");
  const textarea = document.querySelector("#reply-form textarea");
  if (!link || !textarea) return;
  event.preventDefault();
  const source = link.closest("[data-reply]")?.querySelector("[data-quote-source]");
  const text = source ? source.content.textContent || source.innerHTML : "";
  const quoted = text.trim().split("\n").map((line) => (line ? `> ${line}` : ">")).join("\n");
  textarea.value = `> **${link.dataset.quoteAuthor}** wrote:\n>\n${quoted}\n\n${textarea.value}`;
  textarea.focus();
  textarea.scrollIntoView({ block: "center" });
});
