// Results filters: send only the fields that are set, so the URL (which is the whole view
// state, and a link to it) stays short and readable. The server also drops empty fields.
(() => {
  "use strict";

  const form = document.querySelector("[data-filters]");
  if (!form) return;

  const skipped = (el) => {
    if (!el.name || el.type === "checkbox" || el.type === "submit") return false;
    return el.value.trim() === "" || (el.dataset.default !== undefined && el.value === el.dataset.default);
  };

  form.addEventListener("submit", () => {
    for (const el of form.elements) {
      if (skipped(el)) el.disabled = true;
    }
  });

  // On a phone the form would push the results below the fold: fold it when no filter is set.
  const details = form.querySelector("[data-filters-details]");
  if (details && !details.hasAttribute("data-active") && window.matchMedia("(max-width: 700px)").matches) {
    details.open = false;
  }

  // Coming back with the Back button restores the page as it was left, disabled fields too.
  window.addEventListener("pageshow", () => {
    for (const el of form.elements) el.disabled = false;
  });
})();
