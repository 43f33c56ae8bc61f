// Small DOM helpers shared by the studio's pages.

/** h("button", {class: "small", onclick: fn}, "Save") -> an element. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function loading(node, text = "Loading…") {
  return clear(node, h("div", { class: "loading", role: "status" }, text));
}

export function empty(node, ...children) {
  return clear(node, h("div", { class: "empty" }, ...children));
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error && error.message ? error.message : String(error));
}

let toastTimer = null;
export function toast(message, bad = false) {
  let node = document.querySelector(".toast");
  if (!node) {
    node = h("div", { class: "toast", role: "status" });
    document.body.append(node);
  }
  node.textContent = message;
  node.classList.toggle("bad", bad);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(
    () => {
      node.hidden = true;
    },
    bad ? 6000 : 2500,
  );
}

export function debounce(fn, wait = 250) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}

/** "Page 2 of 7 · 312 examples" with previous / next buttons. */
export function pager({ page, pageSize, count, noun = "items", onPage }) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  return h(
    "div",
    { class: "pager" },
    h("span", {}, `${count} ${noun}`),
    pages > 1 ? h("span", {}, `· page ${page} of ${pages}`) : null,
    pages > 1
      ? h(
          "button",
          { class: "secondary small", disabled: page <= 1, onclick: () => onPage(page - 1) },
          "‹ Previous",
        )
      : null,
    pages > 1
      ? h(
          "button",
          { class: "secondary small", disabled: page >= pages, onclick: () => onPage(page + 1) },
          "Next ›",
        )
      : null,
  );
}

/** The text with its entity spans marked: <mark class="ent">words<span class="tag">city</span></mark>. */
export function highlighted(text, spans = []) {
  const out = h("span", { class: "text" });
  const ordered = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let at = 0;
  for (const span of ordered) {
    if (span.start < at) continue; // nested or overlapping spans: show the outer one
    out.append(text.slice(at, span.start));
    const label = [span.entity, span.role && `role ${span.role}`, span.group && `group ${span.group}`]
      .filter(Boolean)
      .join(" · ");
    const value = span.value && span.value !== text.slice(span.start, span.end) ? ` = ${span.value}` : "";
    // the label comes from CSS (data-entity) so that the text content stays the text itself,
    // and a mouse selection's offsets count its characters only
    out.append(
      h(
        "mark",
        {
          class: "ent",
          title: label + value,
          dataset: {
            entity: span.role ? `${span.entity}:${span.role}` : span.entity,
            start: span.start,
            end: span.end,
          },
        },
        text.slice(span.start, span.end),
      ),
    );
    at = span.end;
  }
  out.append(text.slice(at));
  return out;
}

/** Show an API error's field messages next to the inputs named after the fields; what no
 * input shows (another field, the whole form) goes in a box above the form. */
export function showFieldErrors(form, error, fields, handled = []) {
  clearFieldErrors(form);
  const errors = (error && error.errors) || {};
  const shown = new Set(handled);
  for (const name of fields) {
    const messages = errors[name];
    if (!messages) continue;
    const input = form.querySelector(`[name="${name}"]`);
    const text = flatten(messages);
    if (input && text) {
      input.classList.add("invalid");
      input.setAttribute("aria-invalid", "true");
      input.insertAdjacentElement("afterend", h("div", { class: "field-error" }, text));
      shown.add(name);
    }
  }
  const rest = Object.keys(errors).filter((key) => !shown.has(key));
  if (!shown.size || rest.length) {
    const text = rest.length
      ? rest
          .map((key) =>
            key === "non_field_errors" ? flatten(errors[key]) : `${key}: ${flatten(errors[key])}`,
          )
          .join(" ")
      : error.message || "Saving failed.";
    form.prepend(h("p", { class: "error form-error", role: "alert" }, text));
  }
}

export function clearFieldErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((n) => n.remove());
  form.querySelectorAll(".invalid").forEach((n) => {
    n.classList.remove("invalid");
    n.removeAttribute("aria-invalid");
  });
}

/** Every message in a nested DRF error detail, as one line. */
export function flatten(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map(flatten).filter(Boolean).join(" ");
  return Object.entries(detail)
    .map(([k, v]) => `${/^\d+$/.test(k) ? `#${Number(k) + 1}` : k}: ${flatten(v)}`)
    .join("; ");
}

/** Disable a button while a promise runs. */
export async function busy(button, work) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Saving…";
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

export function pct(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A text input with a list of suggestions that narrows as one types (a datalist). */
export function datalist(id, values) {
  let node = document.getElementById(id);
  if (!node) {
    node = h("datalist", { id });
    document.body.append(node);
  }
  clear(
    node,
    values.map((v) => h("option", { value: v })),
  );
  return node;
}

export function clock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** Datalists of the entities' names, roles and groups, for the entity pickers. */
export function entityDatalists(entities) {
  const unique = (values) => [...new Set(values)].sort();
  datalist(
    "entity-names",
    entities.map((e) => e.name),
  );
  datalist("role-names", unique(entities.flatMap((e) => e.roles || [])));
  datalist("group-names", unique(entities.flatMap((e) => e.groups || [])));
}

/** The [start, end) of the mouse selection inside `textNode`, trimmed of spaces. */
export function selectionIn(textNode) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  if (!textNode.contains(range.startContainer) || !textNode.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.selectNodeContents(textNode);
  before.setEnd(range.startContainer, range.startOffset);
  let start = before.toString().length;
  let end = start + range.toString().length;
  const text = textNode.textContent;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return start < end ? { start, end } : null;
}
