// Intents & examples: the intent list on the left, the chosen intent's examples on the right
// (paged on the server), each editable in place with its entity spans.
import { api, all, page } from "./api.js";
import {
  h,
  clear,
  loading,
  empty,
  errorBox,
  toast,
  debounce,
  pager,
  highlighted,
  showFieldErrors,
  clearFieldErrors,
  busy,
  datalist,
  entityDatalists,
  flatten,
} from "./ui.js";

const PAGE_SIZE = 25;
const params = new URLSearchParams(location.search);
const state = {
  intent: params.get("intent") || "",
  q: params.get("q") || "",
  entity: params.get("entity") || "",
  page: Number(params.get("page")) || 1,
};
const listNode = document.getElementById("intent-list");
const examplesNode = document.getElementById("examples");
const titleNode = document.getElementById("examples-title");
const toolsNode = document.getElementById("intent-tools");
let intentNames = [];

function remember() {
  const next = new URLSearchParams();
  for (const key of ["intent", "q", "entity"]) if (state[key]) next.set(key, state[key]);
  if (state.page > 1) next.set("page", state.page);
  history.replaceState(null, "", `${location.pathname}${next.toString() ? "?" + next : ""}`);
}

async function loadNames() {
  try {
    const [intents, entities] = await Promise.all([all("intents/"), all("entities/")]);
    intentNames = intents.map((i) => i.name);
    datalist("intent-names", intentNames);
    entityDatalists(entities);
  } catch (err) {
    toast(err.message, true);
  }
}

async function loadIntents(q = "") {
  try {
    const data = await api.get("intents/", { q, page_size: 300 });
    const items = [
      h(
        "li",
        {},
        h(
          "a",
          {
            href: "#",
            class: state.intent ? "" : "active",
            onclick: (e) => {
              e.preventDefault();
              choose("");
            },
          },
          "All intents",
        ),
      ),
      ...data.results.map((intent) =>
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `?intent=${encodeURIComponent(intent.name)}`,
              class: intent.name === state.intent ? "active" : "",
              onclick: (e) => {
                e.preventDefault();
                choose(intent.name);
              },
            },
            h("span", {}, intent.name),
            h("span", { class: "count" }, intent.example_count),
          ),
        ),
      ),
    ];
    if (data.count > data.results.length)
      items.push(
        h("li", { class: "muted small" }, `${data.count - data.results.length} more: filter to find them`),
      );
    if (!data.count && !q)
      items.push(
        h(
          "li",
          { class: "muted small", style: "padding:.5rem" },
          page.canAnnotate ? "No intent yet: add one below." : "No intent yet.",
        ),
      );
    clear(listNode, items);
  } catch (err) {
    clear(listNode, h("li", {}, errorBox(err)));
  }
}

function choose(intent) {
  state.intent = intent;
  state.page = 1;
  const addIntent = document.querySelector('#example-add [name="intent"]');
  if (addIntent && intent) addIntent.value = intent;
  loadIntents(document.getElementById("intent-search").value);
  loadExamples();
}

function renderTools() {
  titleNode.textContent = state.intent ? state.intent : "All examples";
  clear(toolsNode);
  if (!state.intent || !page.canAnnotate) return;
  toolsNode.append(
    h("button", { class: "secondary small", onclick: renameIntent }, "Rename intent"),
    h("button", { class: "danger small", onclick: deleteIntent }, "Delete intent"),
  );
}

async function intentId(name) {
  const data = await api.get("intents/", { q: name, page_size: 500 });
  const found = data.results.find((i) => i.name === name);
  if (!found) throw new Error(`No intent named ${name}.`);
  return found.id;
}

async function renameIntent() {
  const name = prompt(`Rename the intent ${state.intent} to:`, state.intent);
  if (!name || name === state.intent) return;
  try {
    await api.patch(`intents/${await intentId(state.intent)}/`, { name });
    toast(`Renamed to ${name}.`);
    await loadNames();
    choose(name);
  } catch (err) {
    toast(err.message, true);
  }
}

async function deleteIntent() {
  if (!confirm(`Delete the intent ${state.intent} and all its examples?`)) return;
  try {
    await api.del(`intents/${await intentId(state.intent)}/`);
    toast(`Deleted ${state.intent}.`);
    await loadNames();
    choose("");
  } catch (err) {
    toast(err.message, true);
  }
}

async function loadExamples() {
  remember();
  renderTools();
  loading(examplesNode);
  try {
    const data = await api.get("examples/", {
      intent: state.intent,
      q: state.q,
      entity: state.entity,
      page: state.page,
      page_size: PAGE_SIZE,
    });
    if (!data.count) {
      if (state.q || state.entity) return empty(examplesNode, "No example matches this search.");
      if (state.intent)
        return empty(
          examplesNode,
          h("strong", {}, `No example for ${state.intent} yet. `),
          page.canAnnotate ? "Type what a user would say in the box above and press Add example." : "",
        );
      return empty(
        examplesNode,
        h("strong", {}, "No training example yet. "),
        page.canAnnotate
          ? "Add an intent on the left, then type examples of what users say; or confirm messages from the Inbox."
          : "Annotators add them here or from the Inbox.",
      );
    }
    clear(
      examplesNode,
      h("ul", { class: "items", id: "example-items" }, data.results.map(exampleItem)),
      pager({
        page: state.page,
        pageSize: PAGE_SIZE,
        count: data.count,
        noun: data.count === 1 ? "example" : "examples",
        onPage: (n) => {
          state.page = n;
          loadExamples();
        },
      }),
    );
  } catch (err) {
    clear(examplesNode, errorBox(err));
  }
}

function exampleItem(example) {
  const li = h("li", { dataset: { id: example.id } });
  showExample(li, example);
  return li;
}

function showExample(li, example) {
  li.classList.remove("editing");
  const tools = page.canAnnotate
    ? h(
        "span",
        { class: "tools" },
        h("button", { class: "secondary small", onclick: () => editExample(li, example, "text") }, "Edit"),
        h("button", { class: "secondary small", onclick: () => editExample(li, example, "intent") }, "Move"),
        h(
          "button",
          {
            class: "danger small",
            "aria-label": `Delete “${example.text}”`,
            onclick: () => deleteExample(li, example),
          },
          "Delete",
        ),
      )
    : null;
  clear(
    li,
    h(
      "div",
      { class: "main" },
      highlighted(example.text, example.spans),
      state.intent ? null : h("span", { class: "badge" }, example.intent),
    ),
    tools,
  );
}

async function deleteExample(li, example) {
  if (!confirm(`Delete the example “${example.text}”?`)) return;
  try {
    await api.del(`examples/${example.id}/`);
    li.remove();
    toast("Example deleted.");
    loadIntents(document.getElementById("intent-search").value);
  } catch (err) {
    toast(err.message, true);
  }
}

// ------------------------------------------------------------------ the example editor

function editExample(li, example, focus) {
  li.classList.add("editing");
  const spans = example.spans.map((s) => ({ ...s, words: example.text.slice(s.start, s.end) }));
  const text = h("textarea", { name: "text", rows: 2, "aria-label": "Example text" });
  text.value = example.text;
  const intent = h("input", {
    name: "intent",
    list: "intent-names",
    value: example.intent,
    "aria-label": "Intent",
  });
  const spansNode = h("div", { class: "spans" });
  const form = h(
    "form",
    { class: "main", autocomplete: "off" },
    h("label", {}, "Text", text),
    h(
      "div",
      { class: "row" },
      h("label", {}, "Intent", intent),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: markSelection,
          title: "Select words in the text first",
        },
        "Mark selected words as entity",
      ),
    ),
    spansNode,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", class: "secondary", onclick: () => showExample(li, example) }, "Cancel"),
    ),
  );

  function renderSpans() {
    clear(
      spansNode,
      spans.length
        ? h(
            "div",
            { class: "span-row muted small" },
            h("span", {}, "Words"),
            h("span", {}, "Entity"),
            h("span", {}, "Role"),
            h("span", {}, "Group"),
            h("span", {}),
          )
        : null,
      spans.map((span, index) =>
        h(
          "div",
          { class: "span-row", dataset: { index } },
          h(
            "span",
            { class: "code", title: `characters ${span.start}–${span.end}` },
            `“${text.value.slice(span.start, span.end)}”`,
          ),
          h("input", {
            value: span.entity,
            list: "entity-names",
            "aria-label": "Entity",
            oninput: (e) => {
              span.entity = e.target.value.trim();
            },
          }),
          h("input", {
            value: span.role || "",
            placeholder: "role",
            list: "role-names",
            "aria-label": "Role",
            oninput: (e) => {
              span.role = e.target.value.trim() || null;
            },
          }),
          h("input", {
            value: span.group || "",
            placeholder: "group",
            list: "group-names",
            "aria-label": "Group",
            oninput: (e) => {
              span.group = e.target.value.trim() || null;
            },
          }),
          h(
            "button",
            {
              type: "button",
              class: "danger small",
              "aria-label": "Remove entity",
              onclick: () => {
                spans.splice(index, 1);
                renderSpans();
              },
            },
            "×",
          ),
        ),
      ),
    );
  }

  function markSelection() {
    let { selectionStart: start, selectionEnd: end } = text;
    const value = text.value;
    while (start < end && /\s/.test(value[start])) start++;
    while (end > start && /\s/.test(value[end - 1])) end--;
    if (start >= end) {
      toast("Select some words in the text first.", true);
      text.focus();
      return;
    }
    spans.push({ start, end, entity: "", role: null, group: null, words: value.slice(start, end) });
    renderSpans();
    spansNode.querySelector(`[data-index="${spans.length - 1}"] input`).focus();
  }

  // keep the spans on their words while the text is edited
  text.addEventListener("input", () => {
    for (const span of spans) {
      if (text.value.slice(span.start, span.end) === span.words) continue;
      const found = text.value.indexOf(span.words);
      if (found >= 0) {
        span.start = found;
        span.end = found + span.words.length;
      }
    }
    renderSpans();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const body = {
      text: text.value,
      intent: intent.value.trim(),
      spans: spans.map((s) => {
        const span = {
          start: s.start,
          end: s.end,
          entity: s.entity,
          role: s.role || null,
          group: s.group || null,
        };
        if (s.value && s.value !== s.words) span.value = s.value;
        return span;
      }),
    };
    try {
      const saved = await busy(form.querySelector('[type="submit"]'), () =>
        api.patch(`examples/${example.id}/`, body),
      );
      toast("Example saved.");
      if (state.intent && saved.intent !== state.intent) {
        li.remove();
        loadIntents(document.getElementById("intent-search").value);
      } else {
        Object.assign(example, saved);
        showExample(li, example);
      }
    } catch (err) {
      showFieldErrors(form, err, ["text", "intent"], ["spans"]);
      const spanErrors = err.errors && err.errors.spans;
      if (spanErrors && typeof spanErrors === "object" && !Array.isArray(spanErrors)) {
        for (const [index, detail] of Object.entries(spanErrors)) {
          const row = spansNode.querySelector(`[data-index="${index}"]`);
          if (row)
            row.append(h("div", { class: "field-error", style: "grid-column: 1 / -1" }, flatten(detail)));
        }
      } else if (Array.isArray(spanErrors)) {
        spanErrors.forEach((detail, index) => {
          const row = spansNode.querySelector(`[data-index="${index}"]`);
          const message = flatten(detail);
          if (row && message)
            row.append(h("div", { class: "field-error", style: "grid-column: 1 / -1" }, message));
        });
      }
    }
  });

  clear(li, form);
  renderSpans();
  (focus === "intent" ? intent : text).focus();
  if (focus === "intent") intent.select();
}

// ------------------------------------------------------------------ adding

function wireAdding() {
  const intentForm = document.getElementById("intent-add");
  if (intentForm)
    intentForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(intentForm);
      const name = intentForm.elements.name.value.trim();
      try {
        await api.post("intents/", { name });
        intentForm.reset();
        toast(`Added the intent ${name}.`);
        await loadNames();
        choose(name);
      } catch (err) {
        showFieldErrors(intentForm, err, ["name"]);
      }
    });
  const exampleForm = document.getElementById("example-add");
  if (exampleForm) {
    if (state.intent) exampleForm.elements.intent.value = state.intent;
    exampleForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(exampleForm);
      const body = {
        text: exampleForm.elements.text.value,
        intent: exampleForm.elements.intent.value.trim(),
      };
      try {
        await busy(exampleForm.querySelector("button"), () => api.post("examples/", body));
        exampleForm.elements.text.value = "";
        exampleForm.elements.text.focus();
        toast("Example added.");
        if (state.intent !== body.intent) state.intent = body.intent;
        state.page = 1;
        loadIntents(document.getElementById("intent-search").value);
        loadExamples();
      } catch (err) {
        showFieldErrors(exampleForm, err, ["text", "intent"]);
      }
    });
  }
}

const search = document.getElementById("example-search");
search.value = state.q;
search.addEventListener(
  "input",
  debounce(() => {
    state.q = search.value.trim();
    state.page = 1;
    loadExamples();
  }),
);
const entityFilter = document.getElementById("entity-filter");
entityFilter.value = state.entity;
entityFilter.addEventListener("change", () => {
  state.entity = entityFilter.value.trim();
  state.page = 1;
  loadExamples();
});
document.getElementById("intent-search").addEventListener(
  "input",
  debounce((e) => loadIntents(e.target.value.trim())),
);

wireAdding();
loadNames();
loadIntents();
loadExamples();
