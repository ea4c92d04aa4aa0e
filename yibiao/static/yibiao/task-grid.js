/* The task page's grid, filled like the department's own sheet.
 *
 * Tab moves as the browser moves; Enter goes down (Shift+Enter up), arrows move between
 * cells (left and right only from the ends of the text); a digit picks a select's option
 * (1 = the first). A paste of several cells (Excel's tab-separated text) is spread over the
 * grid from the focused cell, over the columns that have inputs. A row is saved as it is
 * left (htmx, POST …/rows/): the server sends the row back saved, or with the reason beside
 * each refused cell, and the count line and submit button out of band. Typing done while a
 * row is being saved is kept. On a phone (≤ 600 px) the rows are cards; Enter goes to the
 * next field. Without JavaScript the grid is one form and 保存 posts it whole.
 */
(function () {
  "use strict";
  const grid = document.getElementById("grid");
  if (!grid || !window.htmx) return;
  const url = grid.dataset.rowsUrl;
  const form = document.getElementById("grid-form");
  const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const phone = () => window.matchMedia("(max-width: 600px)").matches;
  const FIELD = "input[data-col], select[data-col]";
  // The page's language: the words come from the template (data-status-*), these are the fallback.
  const STATUS = {dirty: grid.dataset.statusDirty || "未保存", saving: grid.dataset.statusSaving || "保存中…",
    failed: grid.dataset.statusFailed || "未保存："};
  let current = null; // the row the focus is in
  const queue = []; // rows waiting for their turn to be saved: one request at a time
  let busy = false;

  const rows = () => Array.from(grid.querySelectorAll("tbody tr.grid-row"));
  const fillColumns = () => Array.from(grid.querySelectorAll("thead th[data-fill]")).map((th) => th.dataset.fill);
  const fields = (tr) => Array.from(tr.querySelectorAll(FIELD));
  const fieldAt = (tr, col) => tr && tr.querySelector(`[data-col="${col}"]`);

  // Why a save failed, in words: a refusal's text as sent, or the message of an error page
  // (400, 403, the stale-login page), never the page's HTML source.
  function reason(xhr) {
    if (!xhr) return "";
    const type = xhr.getResponseHeader("Content-Type") || "";
    if (!type.startsWith("text/html")) return xhr.responseText || String(xhr.status);
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const said = page.querySelector("#error-message") || page.querySelector("main h1, h1");
    return (said && said.textContent.trim()) || String(xhr.status);
  }

  function status(tr, text, kind) {
    const cell = tr.querySelector("td.status");
    if (!cell) return;
    cell.textContent = "";
    const span = document.createElement("span");
    span.className = kind === "failed" ? "error" : "muted";
    span.textContent = text;
    cell.appendChild(span);
  }

  function markDirty(tr) {
    tr.dataset.dirty = "1";
    tr.classList.remove("saved");
    status(tr, STATUS.dirty, "dirty");
  }

  function values(tr) {
    const out = {};
    tr.querySelectorAll("input[name], select[name]").forEach((el) => { out[el.name] = el.value; });
    return out;
  }

  function save(tr) {
    if (!tr || !tr.isConnected || !tr.dataset.dirty) return Promise.resolve();
    if (!queue.includes(tr)) queue.push(tr);
    return pump();
  }

  function pump() {
    if (busy || !queue.length) return Promise.resolve();
    const tr = queue.shift();
    if (!tr.isConnected || !tr.dataset.dirty) return pump();
    busy = true;
    const id = tr.id;
    const sent = values(tr);
    delete tr.dataset.dirty;
    status(tr, STATUS.saving, "saving");
    let failure = null;
    let focused = null;
    const onAfter = (event) => {
      const xhr = event.detail.xhr;
      if (!event.detail.successful) failure = reason(xhr);
    };
    const onBefore = () => {
      const active = document.activeElement;
      if (active && tr.contains(active) && active.name) {
        focused = {name: active.name, start: active.selectionStart, end: active.selectionEnd};
      }
    };
    tr.addEventListener("htmx:afterRequest", onAfter);
    tr.addEventListener("htmx:beforeSwap", onBefore);
    return htmx.ajax("POST", url, {source: tr, target: tr, swap: "outerHTML", values: sent})
      .catch((error) => { failure = String(error); })
      .then(() => {
        tr.removeEventListener("htmx:afterRequest", onAfter);
        tr.removeEventListener("htmx:beforeSwap", onBefore);
        const fresh = document.getElementById(id);
        if (failure || fresh === tr || !fresh) {
          tr.dataset.dirty = "1";
          status(tr, STATUS.failed + (failure || "").slice(0, 200), "failed");
        } else {
          // What was typed into the row while it was being saved is put back, still to save.
          const now = values(tr);
          let changed = false;
          fields(fresh).forEach((el) => {
            if (el.name in now && now[el.name] !== sent[el.name]) {
              setValue(el, now[el.name]);
              changed = true;
            }
          });
          if (changed) markDirty(fresh);
          if (current === tr) current = fresh;
          if (focused) {
            const again = fresh.querySelector(`[name="${CSS.escape(focused.name)}"]`);
            if (again) {
              again.focus();
              if (again.setSelectionRange && focused.start != null) {
                again.setSelectionRange(focused.start, focused.end);
              }
            }
          }
          if (changed && current !== fresh) queue.push(fresh);
        }
        busy = false;
        return pump();
      });
  }

  function saveAll() {
    rows().filter((tr) => tr.dataset.dirty).forEach((tr) => { if (!queue.includes(tr)) queue.push(tr); });
    return pump().then(() => (queue.length || busy ? new Promise((r) => setTimeout(r, 50)).then(saveAll) : null));
  }

  // --- values -------------------------------------------------------------------------

  const YES = /^(是|有|y|yes|1|√|✓|true)$/i;
  const NO = /^(否|无|没有|n|no|0|×|false)$/i;

  function setValue(el, text) {
    text = (text || "").trim();
    if (el.tagName !== "SELECT") {
      el.value = text;
      return;
    }
    const options = Array.from(el.options);
    let match = options.find((o) => o.value === text || o.text === text);
    if (!match && YES.test(text)) match = options.find((o) => YES.test(o.text));
    if (!match && NO.test(text)) match = options.find((o) => NO.test(o.text));
    if (!match && text) { // kept as typed: the server says why it is refused, beside the cell
      match = new Option(text, text);
      el.add(match);
    }
    el.value = match ? match.value : "";
  }

  // --- moving -------------------------------------------------------------------------

  function focusField(el) {
    if (!el) return false;
    el.focus();
    if (el.select && el.tagName === "INPUT") el.select();
    return true;
  }

  function vertical(el, step) {
    const all = rows();
    const col = el.dataset.col;
    for (let i = all.indexOf(el.closest("tr")) + step; i >= 0 && i < all.length; i += step) {
      if (focusField(fieldAt(all[i], col))) return true;
    }
    return false;
  }

  function sideways(el, step) {
    const list = fields(el.closest("tr"));
    return focusField(list[list.indexOf(el) + step]);
  }

  function inDocumentOrder(el, step) {
    const list = Array.from(grid.querySelectorAll(FIELD));
    return focusField(list[list.indexOf(el) + step]);
  }

  grid.addEventListener("keydown", (event) => {
    const el = event.target.closest(FIELD);
    if (!el || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    const text = el.tagName === "INPUT";
    const atStart = !text || (el.selectionStart === 0 && el.selectionEnd === 0);
    const atEnd = !text || (el.selectionStart === el.value.length && el.selectionEnd === el.value.length);
    let moved = null;
    switch (event.key) {
      case "Enter": // never submits the whole grid
        if (phone()) inDocumentOrder(el, event.shiftKey ? -1 : 1);
        else vertical(el, event.shiftKey ? -1 : 1);
        moved = true;
        break;
      case "ArrowDown": moved = vertical(el, 1) || !text; break;
      case "ArrowUp": moved = vertical(el, -1) || !text; break;
      case "ArrowRight": if (atEnd && (!text || el.selectionStart === el.selectionEnd)) moved = sideways(el, 1); break;
      case "ArrowLeft": if (atStart) moved = sideways(el, -1); break;
      default:
        if (!text && /^[0-9]$/.test(event.key)) { // a digit picks a select's option: 1 = the first
          const option = el.options[Number(event.key)];
          if (option) { el.value = option.value; el.dispatchEvent(new Event("change", {bubbles: true})); }
          moved = true;
        } else if (!text && (event.key === "Backspace" || event.key === "Delete")) {
          el.value = "";
          el.dispatchEvent(new Event("change", {bubbles: true}));
          moved = true;
        }
    }
    if (moved) event.preventDefault();
  });

  grid.addEventListener("input", (event) => { const tr = event.target.closest("tr.grid-row"); if (tr) markDirty(tr); });
  grid.addEventListener("change", (event) => {
    if (event.target.classList.contains("picker")) { // the calendar: its date into the text beside it
      const text = event.target.previousElementSibling;
      if (text && event.target.value) { text.value = event.target.value; text.focus(); }
    }
    const tr = event.target.closest("tr.grid-row");
    if (tr) markDirty(tr);
  });

  // A row is saved as the focus leaves it, for another row or for anything outside the grid.
  grid.addEventListener("focusin", (event) => {
    const tr = event.target.closest("tr.grid-row");
    if (current && current !== tr) save(current);
    current = tr;
  });
  grid.addEventListener("focusout", (event) => {
    if (!event.relatedTarget || !grid.contains(event.relatedTarget)) {
      // Wait a tick: a row being re-rendered takes the focus away and gives it back.
      const left = current;
      setTimeout(() => { if (!grid.contains(document.activeElement)) { save(left); current = null; } }, 0);
    }
  });

  // --- paste --------------------------------------------------------------------------

  grid.addEventListener("paste", (event) => {
    const el = event.target.closest(FIELD);
    if (!el) return;
    const raw = (event.clipboardData || window.clipboardData).getData("text/plain") || "";
    const text = raw.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
    if (!/[\t\n]/.test(text)) {
      if (el.tagName === "SELECT") { event.preventDefault(); setValue(el, text); markDirty(el.closest("tr")); }
      return; // one value into a text input: the browser's own paste
    }
    event.preventDefault();
    const all = rows();
    const columns = fillColumns();
    const first = all.indexOf(el.closest("tr"));
    const left = columns.indexOf(el.dataset.col);
    const touched = [];
    const lines = text.split("\n");
    let values = 0;
    let beyond = 0; // values past the last row of the page or the last fill column
    lines.forEach((line, i) => {
      const tr = all[first + i];
      line.split("\t").forEach((value, j) => {
        values += 1;
        if (!tr || left + j >= columns.length) { if (value.trim()) beyond += 1; return; }
        const target = fieldAt(tr, columns[left + j]);
        if (!target) return; // the ledger holds this cell: kept as it is
        setValue(target, value);
        if (!touched.includes(tr)) touched.push(tr);
      });
    });
    const note = document.getElementById("paste-left");
    if (note) {
      note.textContent = note.dataset.text.replace("%(lines)s", lines.length)
        .replace("%(values)s", values).replace("%(left)s", beyond);
      note.hidden = beyond === 0;
    }
    touched.forEach(markDirty);
    touched.forEach((tr) => { if (tr !== current) save(tr); });
  });

  // --- leaving, submitting --------------------------------------------------------------

  // 确认报送 with rows still being saved: saved first, then submitted if the button (sent
  // again with the counts) still allows it.
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "submit-form") return;
    if (!rows().some((tr) => tr.dataset.dirty) && !busy) return;
    event.preventDefault();
    saveAll().then(() => {
      const again = document.getElementById("submit-form");
      if (again && again.querySelector("button[type=submit]:not([disabled])")) again.submit();
    });
  });

  // A sheet wider than the screen opens scrolled to its first column to fill (a 慢性病情况
  // at the far right sat behind read-only columns): the sticky 填报对象 column stays beside it.
  const firstFill = grid.querySelector("thead th[data-fill]");
  const label = grid.querySelector("thead th.label");
  if (firstFill && !phone()) {
    const box = firstFill.getBoundingClientRect(), frame = grid.getBoundingClientRect();
    if (box.right > frame.left + grid.clientWidth) {
      grid.scrollLeft += box.left - frame.left - (label ? label.getBoundingClientRect().width : 0);
    }
  }

  window.addEventListener("pagehide", () => {
    rows().filter((tr) => tr.dataset.dirty).forEach((tr) => {
      const body = new FormData();
      Object.entries(values(tr)).forEach(([k, v]) => body.append(k, v));
      body.append("csrfmiddlewaretoken", token);
      navigator.sendBeacon(url, body);
    });
  });
})();
