// Synonyms, regexes and lookup tables: a name and a list of strings each, edited in place.
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

const node = document.getElementById("list-items");
const kind = node.dataset.kind;
const FIELD = { synonyms: "examples", regexes: "patterns", lookups: "elements" }[kind];
const NOUN = { synonyms: "synonym", regexes: "regex", lookups: "lookup table" }[kind];
const COUNTED = { synonyms: "words", regexes: "patterns", lookups: "elements" }[kind];
const PAGE_SIZE = 25;
const state = { q: "", page: 1 };

const lines = (text) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

async function load() {
  loading(node);
  try {
    const data = await api.get(`${kind}/`, { q: state.q, page: state.page, page_size: PAGE_SIZE });
    if (!data.count) {
      return empty(
        node,
        state.q
          ? "Nothing matches this search."
          : h(
              "span",
              {},
              h("strong", {}, `No ${NOUN} yet. `),
              page.canAnnotate ? "Add one with the form above." : "",
            ),
      );
    }
    clear(
      node,
      h("ul", { class: "items" }, data.results.map(item)),
      pager({
        page: state.page,
        pageSize: PAGE_SIZE,
        count: data.count,
        noun: kind,
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

function item(entry) {
  const li = h("li");
  show(li, entry);
  return li;
}

function show(li, entry) {
  clear(
    li,
    h(
      "div",
      { class: "main" },
      h("strong", {}, entry.name),
      " ",
      h("span", { class: "muted small" }, `${entry[FIELD].length} ${COUNTED}`),
      h(
        "div",
        { class: "chips", style: "margin-top:.3rem" },
        entry[FIELD].slice(0, 40).map((v) => h("span", { class: "chip code" }, v)),
        entry[FIELD].length > 40
          ? h("span", { class: "muted small" }, `+${entry[FIELD].length - 40} more`)
          : null,
      ),
    ),
    page.canAnnotate
      ? h(
          "span",
          { class: "tools" },
          h("button", { class: "secondary small", onclick: () => edit(li, entry) }, "Edit"),
          h("button", { class: "danger small", onclick: () => remove(li, entry) }, "Delete"),
        )
      : null,
  );
}

function edit(li, entry) {
  const form = h(
    "form",
    { class: "main", autocomplete: "off" },
    h(
      "div",
      { class: "row" },
      h("label", {}, "Name", h("input", { name: "name", value: entry.name })),
      h(
        "label",
        { class: "grow" },
        `${COUNTED[0].toUpperCase()}${COUNTED.slice(1)}, one per line`,
        h(
          "textarea",
          { name: FIELD, rows: Math.min(10, entry[FIELD].length + 1), class: "code" },
          entry[FIELD].join("\n"),
        ),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", class: "secondary", onclick: () => show(li, entry) }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    try {
      const saved = await busy(form.querySelector("[type=submit]"), () =>
        api.patch(`${kind}/${entry.id}/`, {
          name: form.elements.name.value,
          [FIELD]: lines(form.elements[FIELD].value),
        }),
      );
      toast("Saved.");
      show(li, saved);
    } catch (err) {
      showFieldErrors(form, err, ["name", FIELD]);
    }
  });
  clear(li, form);
  form.elements.name.focus();
}

async function remove(li, entry) {
  if (!confirm(`Delete ${entry.name}?`)) return;
  try {
    await api.del(`${kind}/${entry.id}/`);
    li.remove();
    toast("Deleted.");
  } catch (err) {
    toast(err.message, true);
  }
}

const add = document.getElementById("list-add");
if (add)
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(add);
    const values = add.elements.values;
    try {
      await api.post(`${kind}/`, { name: add.elements.name.value, [FIELD]: lines(values.value) });
      add.reset();
      toast("Added.");
      load();
    } catch (err) {
      if (err.errors && err.errors[FIELD]) err.errors.values = err.errors[FIELD];
      showFieldErrors(add, err, ["name", "values"], [FIELD]);
    }
  });
document.getElementById("list-search").addEventListener(
  "input",
  debounce((e) => {
    state.q = e.target.value.trim();
    state.page = 1;
    load();
  }),
);
load();
