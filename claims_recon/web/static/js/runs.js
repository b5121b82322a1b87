// Deleting a run: ask first, then DELETE /api/runs/{id}. Without this script the same
// link opens a confirmation page that posts a form instead.
(() => {
  "use strict";

  if (!window.fetch) return;
  const status = document.getElementById("delete-status");

  const say = (text, isError) => {
    if (!status) {
      window.alert(text);
      return;
    }
    status.textContent = text;
    status.className = `notice ${isError ? "notice--error" : "notice--success"}`;
    status.hidden = false;
  };

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-delete-run]");
    if (!link) return;
    event.preventDefault();
    const id = link.dataset.deleteRun;
    const question = `Delete run ${id} and all its results? Other runs are not changed. This cannot be undone.`;
    if (!window.confirm(question)) return;
    const headers = { Accept: "application/json" };
    const csrf = document.querySelector('meta[name="csrf-token"]');
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    fetch(`/api/runs/${encodeURIComponent(id)}`, { method: "DELETE", headers })
      .then(async (response) => {
        if (response.status === 204 || response.status === 404) {
          // 404: someone else deleted it meanwhile; either way it is gone.
          const row = link.closest("tr");
          const table = row && row.closest("tbody");
          if (link.dataset.afterDelete || !row) {
            window.location.assign(`${link.dataset.afterDelete || "/runs"}?deleted=${encodeURIComponent(id)}`);
            return;
          }
          row.remove();
          if (table && !table.rows.length) {
            window.location.assign(`/runs?deleted=${encodeURIComponent(id)}`);
            return;
          }
          say(`Run ${id} was deleted.`, false);
          return;
        }
        let message = `Run ${id} could not be deleted (HTTP ${response.status}).`;
        try {
          const body = await response.json();
          if (body && body.error && body.error.message) message = `Run ${id} could not be deleted: ${body.error.message}`;
        } catch (_) {
          /* not JSON: keep the generic message */
        }
        say(message, true);
      })
      .catch(() => say(`Run ${id} could not be deleted: the server did not answer.`, true));
  });
})();
