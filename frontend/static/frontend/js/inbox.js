// The NLU inbox: user messages that are not training examples yet, least certain first.
// Built for the keyboard: Enter confirms and moves on, i changes the intent, a mouse selection
// (or e) marks an entity, d deletes, j/k move, x selects for bulk actions, ? shows the keys.
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
  pct,
  when,
  datalist,
  entityDatalists,
  selectionIn,
} from "./ui.js";

const PAGE_SIZE = 50;
const node = document.getElementById("inbox");
const help = document.getElementById("inbox-help");
const bulkBar = document.getElementById("inbox-bulk");
const state = {
  status: "open",
  order: "confidence",
  q: "",
  intent: "",
  page: 1,
  items: [],
  index: 0,
  count: 0,
  selected: new Set(),
};
let intentNames = [];
let namesReady = Promise.resolve(); // the intent and entity names, loaded once
let namesLoaded = false;
let popover = null;

// ------------------------------------------------------------------ loading and drawing

async function load() {
  loading(node);
  closePopover();
  try {
    const data = await api.get("inbox/", {
      status: state.status,
      order: state.order,
      q: state.q,
      intent: state.intent,
      page: state.page,
      page_size: PAGE_SIZE,
    });
    state.items = data.results.map((item) => ({
      ...item,
      entities: [...(item.entities || [])],
      createIntent: false,
      changed: false,
    }));
    state.count = data.count;
    state.index = Math.min(state.index, Math.max(0, state.items.length - 1));
    if (!data.results.length && state.page > 1) {
      state.page -= 1;
      return load();
    }
    render();
  } catch (err) {
    clear(node, errorBox(err));
  }
}

function render() {
  if (!state.items.length) {
    const filtered = state.q || state.intent;
    return empty(
      node,
      filtered
        ? "No message matches these filters."
        : state.status === "archived"
          ? "No archived message."
          : h(
              "span",
              {},
              h("strong", {}, "Inbox zero. "),
              "Every message users sent is a training example, archived or deleted. New conversations bring new messages here; then retrain the assistant with what you confirmed.",
            ),
    );
  }
  clear(
    node,
    h("ul", { class: "items", id: "inbox-items" }, state.items.map(itemNode)),
    pager({
      page: state.page,
      pageSize: PAGE_SIZE,
      count: state.count,
      noun: state.count === 1 ? "message" : "messages",
      onPage: (n) => {
        state.page = n;
        state.index = 0;
        load();
      },
    }),
  );
  markCurrent(false);
  updateBulk();
}

function itemNode(item, index) {
  const text = highlighted(item.text, item.entities);
  text.classList.add("inbox-text");
  text.dataset.index = index;
  const intent = item.intent
    ? h(
        "span",
        { class: item.changed ? "badge green" : "badge", title: item.changed ? "corrected" : "predicted" },
        item.intent,
        item.createIntent ? " (new)" : "",
      )
    : h("span", { class: "badge red" }, "no intent");
  const li = h(
    "li",
    { class: "inbox-item", dataset: { id: item.id, index } },
    page.canAnnotate
      ? h("input", {
          type: "checkbox",
          "aria-label": `Select “${item.text}”`,
          checked: state.selected.has(item.id),
          onchange: (e) => {
            toggle(item.id, e.target.checked);
          },
        })
      : null,
    h(
      "div",
      { class: "main" },
      text,
      h(
        "div",
        { class: "pred" },
        intent,
        item.changed
          ? null
          : h(
              "span",
              { class: "confbar", title: `confidence ${pct(item.confidence)}` },
              h("i", { style: `width:${Math.round((item.confidence || 0) * 100)}%` }),
            ),
        item.changed ? null : h("span", { class: "muted small" }, pct(item.confidence)),
        item.count > 1
          ? h("span", { class: "badge gray", title: "times users sent it" }, `×${item.count}`)
          : null,
        h("span", { class: "muted small" }, when(item.latest_at)),
      ),
    ),
    page.canAnnotate
      ? h(
          "span",
          { class: "tools" },
          h(
            "button",
            {
              class: "small",
              onclick: () => {
                select(index);
                confirmCurrent();
              },
            },
            "Confirm",
          ),
          h(
            "button",
            {
              class: "secondary small",
              onclick: () => {
                select(index);
                openIntentPicker();
              },
            },
            "Intent",
          ),
          state.status === "open"
            ? h(
                "button",
                {
                  class: "secondary small",
                  onclick: () => {
                    select(index);
                    drop("archive");
                  },
                },
                "Archive",
              )
            : null,
          h(
            "button",
            {
              class: "danger small",
              onclick: () => {
                select(index);
                drop("delete");
              },
            },
            "Delete",
          ),
        )
      : null,
  );
  li.addEventListener("click", (e) => {
    if (!e.target.closest("button, input, mark")) select(index);
  });
  return li;
}

function redraw(index) {
  const old = node.querySelector(`li[data-index="${index}"]`);
  if (old) old.replaceWith(itemNode(state.items[index], index));
  markCurrent(false);
}

function markCurrent(scroll = true) {
  node.querySelectorAll("li.inbox-item").forEach((li) => {
    const current = Number(li.dataset.index) === state.index;
    li.classList.toggle("selected", current);
    li.setAttribute("aria-current", current ? "true" : "false");
    if (current && scroll) li.scrollIntoView({ block: "nearest" });
  });
}

function select(index) {
  if (index < 0 || index >= state.items.length) return;
  state.index = index;
  markCurrent();
}

// ------------------------------------------------------------------ actions

function current() {
  return state.items[state.index];
}

function removeCurrent(message) {
  const item = current();
  state.items.splice(state.index, 1);
  state.selected.delete(item.id);
  state.count -= 1;
  if (state.index >= state.items.length) state.index = Math.max(0, state.items.length - 1);
  toast(message);
  if (!state.items.length) return load();
  render();
}

async function confirmCurrent() {
  const item = current();
  if (!item || !page.canAnnotate) return;
  if (!item.intent) {
    toast("Choose an intent first (i).", true);
    return openIntentPicker();
  }
  const entities = item.entities
    .filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end))
    .map((e) => ({
      start: e.start,
      end: e.end,
      entity: e.entity,
      value: e.value || item.text.slice(e.start, e.end),
      ...(e.role ? { role: e.role } : {}),
      ...(e.group ? { group: e.group } : {}),
    }));
  try {
    await api.post(`inbox/${item.id}/confirm/`, {
      intent: item.intent,
      entities,
      create_intent: item.createIntent,
    });
    if (item.createIntent) {
      intentNames.push(item.intent);
      datalist("intent-names", intentNames);
    }
    removeCurrent(`Confirmed as ${item.intent}.`);
  } catch (err) {
    toast(err.message, true);
  }
}

async function drop(action) {
  const item = current();
  if (!item || !page.canAnnotate) return;
  try {
    await api.post(`inbox/${item.id}/${action}/`);
    removeCurrent(action === "delete" ? "Deleted." : "Archived.");
  } catch (err) {
    toast(err.message, true);
  }
}

function toggle(id, on) {
  if (on) state.selected.add(id);
  else state.selected.delete(id);
  updateBulk();
}

function updateBulk() {
  if (!bulkBar) return;
  bulkBar.hidden = state.selected.size === 0;
  document.getElementById("inbox-selected-count").textContent = `${state.selected.size} selected`;
}

async function bulk(action) {
  const ids = [...state.selected];
  if (!ids.length) return;
  if (action === "delete" && !confirm(`Delete ${ids.length} messages?`)) return;
  try {
    const result = await api.post("inbox/bulk/", { ids, action });
    state.selected.clear();
    toast(
      `${result.done} ${action === "confirm" ? "confirmed" : action === "archive" ? "archived" : "deleted"}.`,
    );
    load();
  } catch (err) {
    toast(err.message, true);
  }
}

// ------------------------------------------------------------------ popovers

function closePopover() {
  if (popover) {
    popover.remove();
    popover = null;
  }
}

function place(box, anchor) {
  const rect = anchor.getBoundingClientRect();
  box.style.left = `${Math.min(window.scrollX + rect.left, window.scrollX + document.documentElement.clientWidth - 340)}px`;
  box.style.top = `${window.scrollY + rect.bottom + 6}px`;
  document.body.append(box);
  popover = box;
}

function openIntentPicker() {
  const item = current();
  if (!item || !page.canAnnotate) return;
  closePopover();
  const input = h("input", { "aria-label": "Intent", placeholder: "Type an intent…", value: "" });
  const list = h("ul", { class: "suggest", role: "listbox" });
  let options = [];
  let active = 0;
  let enteredEarly = 0; // Enters pressed before the intent names arrived
  const pick = (option) => {
    item.intent = option.name;
    item.createIntent = option.create;
    item.changed = true;
    closePopover();
    redraw(state.index);
    toast(
      option.create
        ? `Enter confirms and creates the intent ${option.name}.`
        : `Intent: ${option.name}. Enter confirms.`,
    );
  };
  const refresh = () => {
    const typed = input.value.trim();
    const lower = typed.toLowerCase();
    const matches = intentNames
      .filter((n) => n.toLowerCase().includes(lower))
      .sort(
        (a, b) => (a.toLowerCase().startsWith(lower) ? 0 : 1) - (b.toLowerCase().startsWith(lower) ? 0 : 1),
      )
      .slice(0, 8);
    options = matches.map((name) => ({ name, create: false }));
    if (typed && !intentNames.includes(typed)) options.push({ name: typed, create: true });
    active = Math.min(active, Math.max(0, options.length - 1));
    clear(
      list,
      options.map((o, i) =>
        h(
          "li",
          {
            role: "option",
            class: i === active ? "active" : "",
            "aria-selected": i === active ? "true" : "false",
            onmousedown: (e) => {
              e.preventDefault();
              pick(o);
            },
          },
          o.create ? h("span", {}, "Create intent ", h("strong", {}, o.name)) : o.name,
        ),
      ),
    );
    if (!options.length) list.append(h("li", { class: "muted" }, "Type a name"));
  };
  input.addEventListener("input", () => {
    active = 0;
    refresh();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      active = Math.min(active + 1, options.length - 1);
      refresh();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      active = Math.max(active - 1, 0);
      refresh();
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (namesLoaded) {
        if (options[active]) pick(options[active]);
        return;
      }
      // typed before the intents arrived: choose once they are known, not "create" blindly;
      // a second Enter meanwhile confirms, as it would have once the picker had closed
      enteredEarly += 1;
      if (enteredEarly > 1) return;
      namesReady.then(() => {
        refresh();
        if (!options[active]) return;
        const confirmToo = enteredEarly > 1;
        pick(options[active]);
        if (confirmToo) confirmCurrent();
      });
    } else if (e.key === "Escape") {
      e.preventDefault();
      closePopover();
    }
  });
  const box = h(
    "div",
    { class: "popover", id: "intent-picker" },
    h("label", {}, `Intent of “${item.text.slice(0, 60)}”`, input),
    list,
  );
  place(box, node.querySelector(`li[data-index="${state.index}"] .pred`) || node);
  refresh();
  namesReady.then(() => input.isConnected && refresh());
  input.focus();
}

function openEntityPicker(index, span) {
  const item = state.items[index];
  if (!item || !page.canAnnotate) return;
  select(index);
  closePopover();
  const words = item.text.slice(span.start, span.end);
  const entity = h("input", {
    name: "entity",
    list: "entity-names",
    "aria-label": "Entity type",
    placeholder: "entity type",
    required: true,
  });
  const role = h("input", {
    name: "role",
    list: "role-names",
    "aria-label": "Role",
    placeholder: "role (optional)",
  });
  const group = h("input", {
    name: "group",
    list: "group-names",
    "aria-label": "Group",
    placeholder: "group (optional)",
  });
  // the value the entity stands for: the words themselves unless edited (a synonym's target)
  const value = h("input", { name: "value", "aria-label": "Value", value: words });
  const form = h(
    "form",
    { class: "popover", id: "entity-picker", autocomplete: "off" },
    h("div", {}, "Mark ", h("strong", {}, `“${words}”`), " as"),
    h("label", {}, "Entity", entity),
    h("div", { class: "row" }, h("label", {}, "Role", role), h("label", {}, "Group", group)),
    h("label", {}, "Value", value),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Add entity"),
      h("button", { type: "button", class: "secondary", onclick: closePopover }, "Cancel"),
    ),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = entity.value.trim();
    if (!name) return entity.focus();
    item.entities = item.entities.filter((x) => x.end <= span.start || x.start >= span.end);
    item.entities.push({
      start: span.start,
      end: span.end,
      entity: name,
      value: value.value.trim() || words,
      role: role.value.trim() || null,
      group: group.value.trim() || null,
    });
    item.entities.sort((a, b) => a.start - b.start);
    closePopover();
    window.getSelection().removeAllRanges();
    redraw(index);
    toast(`Marked “${words}” as ${name}. Enter confirms.`);
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      closePopover();
    }
  });
  place(form, node.querySelector(`li[data-index="${index}"] .inbox-text`) || node);
  entity.focus();
}

function entityFromSelection() {
  for (const textNode of node.querySelectorAll(".inbox-text")) {
    const span = selectionIn(textNode);
    if (span) {
      openEntityPicker(Number(textNode.dataset.index), span);
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ events

if (page.canAnnotate) {
  node.addEventListener("mouseup", () => setTimeout(entityFromSelection));
  node.addEventListener("click", (e) => {
    const mark = e.target.closest(".inbox-text mark");
    if (!mark || !window.getSelection().isCollapsed) return;
    const index = Number(mark.closest(".inbox-text").dataset.index);
    const item = state.items[index];
    item.entities = item.entities.filter(
      (x) => !(x.start === Number(mark.dataset.start) && x.end === Number(mark.dataset.end)),
    );
    redraw(index);
    toast("Entity removed.");
  });
}

document.addEventListener("mousedown", (e) => {
  if (popover && !popover.contains(e.target)) closePopover();
});

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (!help.hidden) {
    if (e.key === "Escape" || e.key === "?") {
      e.preventDefault();
      help.hidden = true;
    }
    return;
  }
  if (popover || e.target.closest("input, textarea, select")) return;
  const key = e.key;
  const actions = {
    "?": () => {
      help.hidden = false;
      document.getElementById("inbox-help-close").focus();
    },
    j: () => select(state.index + 1),
    ArrowDown: () => select(state.index + 1),
    k: () => select(state.index - 1),
    ArrowUp: () => select(state.index - 1),
  };
  if (page.canAnnotate) {
    Object.assign(actions, {
      Enter: confirmCurrent,
      i: openIntentPicker,
      e: () => {
        if (!entityFromSelection()) toast("Select the entity's words with the mouse first.", true);
      },
      d: () => drop("delete"),
      a: () => {
        if (state.status === "open") drop("archive");
      },
      x: () => {
        const item = current();
        if (item) {
          toggle(item.id, !state.selected.has(item.id));
          redraw(state.index);
        }
      },
    });
  }
  if (e.target.closest("button, a") && key === "Enter") return;
  const run = actions[key];
  if (!run) return;
  e.preventDefault();
  run();
});

document.getElementById("inbox-help-button").addEventListener("click", () => {
  help.hidden = false;
});
document.getElementById("inbox-help-close").addEventListener("click", () => {
  help.hidden = true;
});
help.addEventListener("click", (e) => {
  if (e.target === help) help.hidden = true;
});
if (bulkBar) {
  bulkBar
    .querySelectorAll("[data-bulk]")
    .forEach((b) => b.addEventListener("click", () => bulk(b.dataset.bulk)));
  document.getElementById("inbox-clear-selection").addEventListener("click", () => {
    state.selected.clear();
    render();
  });
}
const reset = () => {
  state.page = 1;
  state.index = 0;
  state.selected.clear();
  load();
};
document.getElementById("inbox-status").addEventListener("change", (e) => {
  state.status = e.target.value;
  reset();
});
document.getElementById("inbox-order").addEventListener("change", (e) => {
  state.order = e.target.value;
  reset();
});
document.getElementById("inbox-intent").addEventListener("change", (e) => {
  state.intent = e.target.value.trim();
  reset();
});
document.getElementById("inbox-q").addEventListener(
  "input",
  debounce((e) => {
    state.q = e.target.value.trim();
    reset();
  }),
);

async function loadNames() {
  try {
    const [intents, entities] = await Promise.all([all("intents/"), all("entities/")]);
    intentNames = intents.map((i) => i.name);
    datalist("intent-names", intentNames);
    entityDatalists(entities);
  } catch (err) {
    toast(err.message, true);
  } finally {
    namesLoaded = true;
  }
}
namesReady = loadNames();
load();
