// Names for the controls Django's admin leaves unnamed (axe-core, issue 19). Django builds most
// of them in the browser (select2 for autocomplete fields, the two-box filter of many-to-many
// fields, inline rows added by "Add another"), so they are named here, as they appear.
"use strict";

(function () {
  function labelText(id) {
    const label = id && document.querySelector(`label[for="${CSS.escape(id)}"]`);
    return label ? label.textContent.replace(/[:\s]+$/, "").trim() : "";
  }

  // The changelist search box is labelled only by an icon.
  function nameSearchBar(root) {
    const bar = root.querySelector && root.querySelector("#searchbar:not([aria-label])");
    if (bar) {
      const heading = document.getElementById("changelist-search-form");
      bar.setAttribute("aria-label", heading ? heading.textContent.trim() : "Search");
    }
  }

  // select2's combobox (and the text box inside it that shows the choice) stands for the
  // hidden <select>: give both that select's label.
  function nameComboboxes(root) {
    root.querySelectorAll(".select2-selection[role=combobox]").forEach((box) => {
      const container = box.closest(".select2-container");
      const select = container && container.previousElementSibling;
      const name = select ? labelText(select.id) || select.name : "";
      if (!name) return;
      const shown = box.querySelector(".select2-selection__rendered[role=textbox]");
      [box, shown].forEach((element) => {
        if (element && !element.hasAttribute("aria-label")) element.setAttribute("aria-label", name);
      });
    });
  }

  // The filter boxes' help icons carry an aria-label on a plain span: make them images.
  function nameHelpIcons(root) {
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  }

  // Tabular inline rows: each field is named by its column's header and the row's number.
  function nameInlineFields(root) {
    root.querySelectorAll(".tabular table").forEach((table) => {
      const headers = Array.from(table.querySelectorAll("thead th")).map((th) =>
        th.textContent.trim(),
      );
      table.querySelectorAll("tbody tr").forEach((row, rowIndex) => {
        Array.from(row.children).forEach((cell, column) => {
          cell
            .querySelectorAll("input:not([type=hidden]), select, textarea")
            .forEach((field) => {
              if (field.hasAttribute("aria-label") || labelText(field.id)) return;
              const header = headers[column] || field.name;
              field.setAttribute("aria-label", `${header} (row ${rowIndex + 1})`);
            });
        });
      });
    });
  }

  function nameAll(root) {
    nameSearchBar(root);
    nameComboboxes(root);
    nameHelpIcons(root);
    nameInlineFields(root);
  }

  function start() {
    nameAll(document);
    new MutationObserver(() => nameAll(document)).observe(document.body, {
      childList: true,
      subtree: true,
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
