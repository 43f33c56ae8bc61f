// The domain: responses (with their variations), slots, actions, forms and entities.
// Admins edit; everybody else reads (the API refuses other writers anyway).
import { api, page } from "./api.js";
import {
  h,
  clear,
  loading,
  empty,
  errorBox,
  toast,
  debounce,
  pager,
  showFieldErrors,
  clearFieldErrors,
  busy,
} from "./ui.js";

const node = document.getElementById("domain-items");
const tab = node.dataset.tab;
const canEdit = node.dataset.canEdit === "true";
const PAGE_SIZE = 25;
const state = { q: "", page: 1 };

// field kinds: text, lines (list of strings, one per line), csv, json, bool (null = default), select
const FIELDS = {
  slots: [
    { name: "name", label: "Name", kind: "text" },
    {
      name: "type",
      label: "Type",
      kind: "select",
      options: ["text", "bool", "categorical", "float", "list", "any"],
    },
    { name: "influence_conversation", label: "Influences the conversation", kind: "bool" },
    { name: "values", label: "Values (categorical), one per line", kind: "lines", nullable: true },
    { name: "initial_value", label: "Initial value (JSON)", kind: "json" },
    { name: "mappings", label: "Mappings (JSON list)", kind: "json", wide: true, rows: 5 },
  ],
  actions: [
    { name: "name", label: "Name", kind: "text" },
    { name: "send_domain", label: "Send the domain to the action server", kind: "bool" },
  ],
  forms: [
    { name: "name", label: "Name", kind: "text" },
    { name: "required_slots", label: "Required slots, one per line", kind: "lines" },
    { name: "ignored_intents", label: "Ignored intents, one per line", kind: "lines" },
  ],
  entities: [
    { name: "name", label: "Name", kind: "text" },
    { name: "roles", label: "Roles, one per line", kind: "lines" },
    { name: "groups", label: "Groups, one per line", kind: "lines" },
    { name: "influence_conversation", label: "Influences the conversation", kind: "bool" },
  ],
};

function summary(item) {
  const parts = [];
  if (tab === "responses") {
    return h(
      "ol",
      { class: "variations-list" },
      item.variations.map((v) =>
        h(
          "li",
          {},
          v.text || (v.image ? `image: ${v.image}` : v.custom ? "custom payload" : "—"),
          v.channel ? h("span", { class: "badge gray", style: "margin-left:.4rem" }, v.channel) : null,
          v.buttons && v.buttons.length
            ? h("span", { class: "badge gray", style: "margin-left:.4rem" }, `${v.buttons.length} buttons`)
            : null,
          v.condition
            ? h("span", { class: "badge yellow", style: "margin-left:.4rem" }, "conditional")
            : null,
        ),
      ),
    );
  }
  if (tab === "slots") {
    parts.push(h("span", { class: "badge" }, item.type));
    if (item.influence_conversation === false) parts.push(h("span", { class: "badge gray" }, "no influence"));
    if (item.values) parts.push(h("span", { class: "muted small" }, `values: ${item.values.join(", ")}`));
    parts.push(
      h(
        "span",
        { class: "muted small" },
        `mappings: ${item.mappings.map((m) => (m.entity ? `${m.type}(${m.entity})` : m.type)).join(", ") || "none"}`,
      ),
    );
  }
  if (tab === "actions" && item.send_domain)
    parts.push(h("span", { class: "badge gray" }, "sends the domain"));
  if (tab === "forms")
    parts.push(h("span", { class: "muted small" }, `asks for: ${item.required_slots.join(", ") || "–"}`));
  if (tab === "entities") {
    for (const role of item.roles) parts.push(h("span", { class: "chip" }, `role ${role}`));
    for (const group of item.groups) parts.push(h("span", { class: "chip" }, `group ${group}`));
  }
  return h("div", { class: "summary" }, parts);
}

function show(li, item) {
  clear(
    li,
    h(
      "div",
      { class: "main" },
      h("strong", { class: "code" }, item.name),
      item.file ? h("span", { class: "muted small", style: "margin-left:.5rem" }, item.file) : null,
      summary(item),
    ),
    canEdit
      ? h(
          "span",
          { class: "tools" },
          h("button", { class: "secondary small", onclick: () => edit(li, item) }, "Edit"),
          h(
            "button",
            { class: "danger small", "aria-label": `Delete ${item.name}`, onclick: () => remove(li, item) },
            "Delete",
          ),
        )
      : null,
  );
}

// --------------------------------------------------------------------- generic editor

function fieldInput(field, value) {
  if (field.kind === "select")
    return h(
      "select",
      { name: field.name },
      field.options.map((o) => h("option", { value: o, selected: o === value }, o)),
    );
  if (field.kind === "bool") {
    return h(
      "select",
      { name: field.name },
      h("option", { value: "", selected: value === null || value === undefined }, "default"),
      h("option", { value: "true", selected: value === true }, "yes"),
      h("option", { value: "false", selected: value === false }, "no"),
    );
  }
  if (field.kind === "lines")
    return h("textarea", { name: field.name, rows: 3, class: "code" }, (value || []).join("\n"));
  if (field.kind === "json")
    return h(
      "textarea",
      { name: field.name, rows: field.rows || 2, class: "code" },
      value === null || value === undefined ? "" : JSON.stringify(value, null, 1),
    );
  return h("input", { name: field.name, value: value || "" });
}

function readField(form, field) {
  const raw = form.elements[field.name].value;
  if (field.kind === "bool") return raw === "" ? null : raw === "true";
  if (field.kind === "lines") {
    const values = raw
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    return field.nullable && !values.length ? null : values;
  }
  if (field.kind === "json") {
    if (!raw.trim()) return field.name === "mappings" ? [] : null;
    try {
      return JSON.parse(raw);
    } catch {
      throw { field: field.name, message: "This is not valid JSON." };
    }
  }
  return raw.trim();
}

function genericForm(item) {
  return FIELDS[tab].map((field) =>
    h("label", { class: field.wide ? "wide" : "" }, field.label, fieldInput(field, item[field.name])),
  );
}

// --------------------------------------------------------------------- responses

function variationRow(variation) {
  const row = h(
    "div",
    { class: "variation" },
    h("textarea", { rows: 2, "aria-label": "Variation text", class: "variation-text" }, variation.text || ""),
    h("input", {
      placeholder: "channel (any)",
      "aria-label": "Channel",
      class: "variation-channel",
      value: variation.channel || "",
    }),
    h(
      "button",
      {
        type: "button",
        class: "danger small",
        "aria-label": "Remove variation",
        onclick: () => row.remove(),
      },
      "×",
    ),
  );
  row._variation = variation;
  return row;
}

function responseForm(item) {
  const rows = h(
    "div",
    { class: "variations" },
    (item.variations.length ? item.variations : [{}]).map(variationRow),
  );
  return [
    h("label", {}, "Name", h("input", { name: "name", value: item.name || "utter_" })),
    h("div", { class: "muted small" }, "Variations (the bot picks one at random)"),
    rows,
    h("input", { type: "hidden", name: "variations" }),
    h(
      "button",
      { type: "button", class: "secondary small", onclick: () => rows.append(variationRow({})) },
      "+ Add a variation",
    ),
  ];
}

function readResponse(form) {
  const variations = [...form.querySelectorAll(".variation")].map((row) => {
    const text = row.querySelector(".variation-text").value;
    const channel = row.querySelector(".variation-channel").value.trim();
    return { ...row._variation, text: text || null, channel: channel || null };
  });
  return { name: form.elements.name.value.trim(), variations };
}

// --------------------------------------------------------------------- edit, add, delete

function edit(li, item, isNew = false) {
  li.classList.add("editing");
  const form = h(
    "form",
    { class: "main", autocomplete: "off" },
    h(
      "div",
      { class: tab === "responses" ? "" : "form-grid" },
      tab === "responses" ? responseForm(item) : genericForm(item),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, isNew ? "Add" : "Save"),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: () => (isNew ? li.remove() : (li.classList.remove("editing"), show(li, item))),
        },
        "Cancel",
      ),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    let body;
    try {
      body =
        tab === "responses"
          ? readResponse(form)
          : Object.fromEntries(FIELDS[tab].map((f) => [f.name, readField(form, f)]));
    } catch (bad) {
      return showFieldErrors(form, { message: bad.message, errors: { [bad.field]: [bad.message] } }, [
        bad.field,
      ]);
    }
    try {
      const saved = await busy(form.querySelector("[type=submit]"), () =>
        isNew ? api.post(`${tab}/`, body) : api.patch(`${tab}/${item.id}/`, body),
      );
      toast(isNew ? "Added." : "Saved.");
      li.classList.remove("editing");
      Object.assign(item, saved);
      show(li, item);
    } catch (err) {
      const errors = err.errors || {};
      if (tab === "responses" && errors.variations) {
        const rows = [...form.querySelectorAll(".variation")];
        const detail = errors.variations;
        const entries = Array.isArray(detail) ? detail.map((d, i) => [i, d]) : Object.entries(detail);
        for (const [index, inner] of entries) {
          const message =
            typeof inner === "string"
              ? inner
              : Object.values(inner || {})
                  .flat()
                  .join(" ");
          if (message && rows[index])
            rows[index].append(h("div", { class: "field-error", style: "grid-column:1/-1" }, message));
        }
      }
      showFieldErrors(
        form,
        err,
        tab === "responses" ? ["name"] : FIELDS[tab].map((f) => f.name),
        tab === "responses" && errors.variations ? ["variations"] : [],
      );
    }
  });
  clear(li, form);
  const first = form.querySelector("input, textarea");
  if (first) first.focus();
}

async function remove(li, item) {
  if (!confirm(`Delete ${item.name}?`)) return;
  try {
    await api.del(`${tab}/${item.id}/`);
    li.remove();
    toast("Deleted.");
  } catch (err) {
    toast(err.message, true);
  }
}

async function load() {
  loading(node);
  try {
    const data = await api.get(`${tab}/`, { q: state.q, page: state.page, page_size: PAGE_SIZE });
    if (!data.count) {
      return empty(
        node,
        state.q
          ? "Nothing matches this search."
          : h(
              "span",
              {},
              h("strong", {}, `No ${tab} yet. `),
              canEdit ? "Add one with the button above." : "The assistant's admins add them.",
            ),
      );
    }
    clear(
      node,
      h(
        "ul",
        { class: "items", id: "domain-list" },
        data.results.map((item) => {
          const li = h("li", { class: "domain-item", dataset: { id: item.id } });
          show(li, item);
          return li;
        }),
      ),
      pager({
        page: state.page,
        pageSize: PAGE_SIZE,
        count: data.count,
        noun: tab,
        onPage: (n) => {
          state.page = n;
          load();
        },
      }),
    );
  } catch (err) {
    clear(node, errorBox(err));
  }
}

const addButton = document.getElementById("domain-add");
if (addButton)
  addButton.addEventListener("click", () => {
    let list = document.getElementById("domain-list");
    if (!list) {
      list = h("ul", { class: "items", id: "domain-list" });
      clear(node, list);
    }
    const li = h("li", { class: "domain-item" });
    list.prepend(li);
    const blank =
      tab === "responses"
        ? { name: "utter_", variations: [] }
        : tab === "slots"
          ? { type: "text", mappings: [] }
          : {};
    edit(li, blank, true);
  });
document.getElementById("domain-search").addEventListener(
  "input",
  debounce((e) => {
    state.q = e.target.value.trim();
    state.page = 1;
    load();
  }),
);
load();
