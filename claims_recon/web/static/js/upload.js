// Upload page: drag and drop onto the file boxes, a real progress bar for the transfer,
// a "Reconciling…" state once the bytes are sent, and the API's rejection listed per file.
// Without this script the form still posts to /upload and the server renders the result.
(() => {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const submit = document.getElementById("upload-submit");
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const phase = document.getElementById("upload-phase");
  const detail = document.getElementById("upload-detail");
  const live = document.getElementById("upload-live");
  const errors = document.getElementById("upload-errors");
  const inputs = {
    claims: form.querySelector('input[name="claims"]'),
    invoices: form.querySelector('input[name="invoices"]'),
  };

  const bytes = (n) => {
    if (n < 1024) return `${n} bytes`;
    const units = ["KB", "MB", "GB"];
    let value = n / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(1)} ${units[unit]}`;
  };

  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  };

  // ---- choosing files ---------------------------------------------------------------

  const showChosen = (input) => {
    const zone = input.closest("[data-dropzone]");
    const chosen = zone.querySelector("[data-chosen]");
    const file = input.files && input.files[0];
    zone.classList.toggle("has-file", Boolean(file));
    chosen.textContent = file ? `${file.name} · ${bytes(file.size)}` : "or drag and drop a file here";
  };

  const put = (input, file) => {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    showChosen(input);
  };

  // Two files dropped together go where their names say. When the names do not tell them
  // apart, the first goes to the box that got them and the other to the other box, and the
  // page says so; more than two files are refused, never silently cut to two.
  const kindOf = (file) => (/invoice|payment|remit/i.test(file.name) ? "invoices" : "claims");
  const dropNote = document.getElementById("drop-note");
  const note = (text) => {
    dropNote.textContent = text;
    dropNote.hidden = !text;
  };

  const placeDropped = (input, files) => {
    if (files.length === 0) return;
    if (files.length === 1) {
      put(input, files[0]);
      note("");
      return;
    }
    if (files.length > 2) {
      note(
        `${files.length} files were dropped; nothing was chosen. Drop one claims file and ` +
          "one invoices file (two files at most).",
      );
      return;
    }
    const [first, second] = files;
    if (kindOf(first) !== kindOf(second)) {
      put(inputs[kindOf(first)], first);
      put(inputs[kindOf(second)], second);
      note("");
      return;
    }
    const here = input.name;
    const other = here === "claims" ? "invoices" : "claims";
    put(inputs[here], first);
    put(inputs[other], second);
    note(
      `The file names do not say which is which: ${first.name} is the ${here} file and ` +
        `${second.name} the ${other} file. Choose again if that is wrong.`,
    );
  };

  for (const zone of document.querySelectorAll("[data-dropzone]")) {
    const input = zone.querySelector('input[type="file"]');
    input.addEventListener("change", () => {
      showChosen(input);
      note("");
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("is-dragover"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("is-dragover");
      placeDropped(input, Array.from(event.dataTransfer.files || []));
    });
    showChosen(input);
  }

  // A file dropped beside the boxes would otherwise replace the page with the file.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (!event.target.closest || !event.target.closest("[data-dropzone]")) event.preventDefault();
    });
  }

  // ---- rejection --------------------------------------------------------------------

  const problemTable = (problems) => {
    const wrap = el("div", null, "table-wrap");
    const table = el("table", null, "table table--problems table--stack");
    const head = table.createTHead().insertRow();
    for (const name of ["Line", "Column", "Value", "Rule", "Problem"]) {
      const th = el("th", name);
      th.scope = "col";
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const p of problems) {
      const row = body.insertRow();
      // data-label names each cell where a narrow screen shows the row as a card.
      const cell = (label) => {
        const td = row.insertCell();
        td.dataset.label = label;
        return td;
      };
      const line = cell("Line");
      line.className = "num";
      line.textContent = p.line === null || p.line === undefined ? "—" : p.line.toLocaleString("en-US");
      cell("Column").textContent = p.column || "—";
      const value = cell("Value");
      if (p.value === null || p.value === undefined) value.textContent = "—";
      else value.appendChild(el("code", p.value));
      cell("Rule").appendChild(el("code", p.rule));
      cell("Problem").textContent = p.message;
    }
    wrap.appendChild(table);
    return wrap;
  };

  const showRejection = (error, heading) => {
    errors.replaceChildren();
    const title = el("h2", heading || "The upload was rejected");
    title.id = "rejection-title";
    errors.appendChild(title);
    const details = Array.isArray(error.details) ? error.details : [];
    const total = typeof error.total === "number" ? error.total : details.length;
    if (total > 0) {
      let text = `${total.toLocaleString("en-US")} problem${total === 1 ? "" : "s"} in total`;
      if (total > details.length) {
        text += `; the first ${details.length.toLocaleString("en-US")} are listed below`;
      }
      errors.appendChild(el("p", `${text}. Nothing was stored.`, "rejection__total"));
    }
    // A rejected file's message only repeats the count; other errors explain themselves.
    if (error.code !== "rejected_upload" || total === 0) {
      const message = String(error.message || "");
      errors.appendChild(el("p", message.charAt(0).toUpperCase() + message.slice(1), "rejection__message"));
    }
    const groups = new Map();
    for (const p of details) {
      const key = p.filename || p.file || "";
      if (!groups.has(key)) groups.set(key, { filename: p.filename, file: p.file, problems: [] });
      groups.get(key).problems.push(p);
    }
    for (const group of groups.values()) {
      const heading = el("h3");
      if (group.filename) {
        heading.appendChild(el("span", group.filename, "file-name"));
        if (group.file) heading.appendChild(el("span", ` (${group.file} file)`, "muted"));
      } else {
        heading.textContent = "The request";
      }
      errors.appendChild(heading);
      errors.appendChild(problemTable(group.problems));
    }
    errors.hidden = false;
    errors.focus();
  };

  const fail = (message, heading) => showRejection({ message, details: [], total: 0 }, heading);

  // ---- sending ----------------------------------------------------------------------

  // Screen readers hear the phases and every quarter of the transfer, not each tick.
  let announced = -1;
  const setPhase = (text, extra, quarter) => {
    phase.textContent = text;
    detail.textContent = extra || "";
    if (quarter === undefined || quarter > announced) {
      live.textContent = extra ? `${text} ${extra}` : text;
      if (quarter !== undefined) announced = quarter;
    }
  };

  const finish = () => {
    submit.disabled = false;
    submit.textContent = "Reconcile";
    box.hidden = true;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData();
    let size = 0;
    for (const [name, input] of Object.entries(inputs)) {
      const file = input.files && input.files[0];
      if (file) {
        data.append(name, file, file.name);
        size += file.size;
      }
    }
    if (!data.has("claims") && !data.has("invoices")) {
      fail("Choose a claims file, an invoices file, or both.", "Nothing to upload");
      return;
    }
    for (const name of ["tolerance_amount", "tolerance_percent"]) {
      const value = form.elements[name].value.trim();
      if (value) data.append(name, value);
    }

    errors.hidden = true;
    submit.disabled = true;
    submit.textContent = "Working…";
    box.hidden = false;
    bar.value = 0;
    announced = -1;
    setPhase("Uploading…", `0 of ${bytes(size)}`, 0);

    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/upload");
    xhr.setRequestHeader("Accept", "application/json");
    const csrf = document.querySelector('meta[name="csrf-token"]');
    if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf.content);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const share = e.loaded / e.total;
      bar.value = Math.round(share * 100);
      const percent = Math.round(share * 100);
      setPhase("Uploading…", `${bytes(Math.min(e.loaded, size))} of ${bytes(size)} (${percent}%)`, Math.floor(percent / 25));
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate: the server is working now
      setPhase("Reconciling…", "Checking every row and matching invoices to claims.");
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (_) {
        body = null;
      }
      if (xhr.status === 201 && body && body.run_id) {
        setPhase("Done.", "Opening the run…");
        window.location.assign(`/runs/${encodeURIComponent(body.run_id)}`);
        return;
      }
      finish();
      if (body && body.error) showRejection(body.error);
      else fail(`The server answered with HTTP ${xhr.status}; nothing was stored.`, "The upload failed");
    });
    xhr.addEventListener("error", () => {
      finish();
      fail(
        "The connection closed before the upload finished (is the file larger than the " +
          "server accepts?). Nothing was stored.",
        "The upload did not finish",
      );
    });
    xhr.send(data);
  });
})();
