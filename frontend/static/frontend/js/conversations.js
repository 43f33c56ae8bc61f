// Recorded conversations: filters kept in the URL, the count, a page at a time.
import { api, all, page } from "./api.js";
import { h, clear, loading, empty, errorBox, pager, pct, when, datalist } from "./ui.js";

const form = document.getElementById("conv-filters");
const node = document.getElementById("conversations");
const PAGE_SIZE = 25;
const FIELDS = [
  "q",
  "intent",
  "action",
  "entity",
  "slot",
  "policy",
  "confidence_below",
  "confidence_above",
  "channel",
  "tag",
  "reviewed",
  "since",
  "until",
  "flagged",
];
let pageNumber = Number(new URLSearchParams(location.search).get("page")) || 1;

function fromUrl() {
  const params = new URLSearchParams(location.search);
  for (const name of FIELDS) {
    const input = form.elements[name];
    if (!input) continue;
    if (input.type === "checkbox") input.checked = params.get(name) === "true";
    else input.value = params.get(name) || "";
  }
}

function filters() {
  const out = {};
  for (const name of FIELDS) {
    const input = form.elements[name];
    if (input.type === "checkbox") {
      if (input.checked) out[name] = "true";
      continue;
    }
    const value = input.value.trim();
    if (!value) continue;
    // datetime-local has no zone: send the browser's, as an ISO datetime
    out[name] = input.type === "datetime-local" ? new Date(value).toISOString() : value;
  }
  return out;
}

function toUrl() {
  const params = new URLSearchParams();
  for (const name of FIELDS) {
    const input = form.elements[name];
    const value = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value.trim();
    if (value) params.set(name, value);
  }
  if (pageNumber > 1) params.set("page", pageNumber);
  history.replaceState(null, "", `${location.pathname}${params.toString() ? "?" + params : ""}`);
  const back = `${location.pathname}${location.search}`;
  sessionStorage.setItem(`parley-conversations-${page.assistantId}`, back);
}

async function load() {
  toUrl();
  loading(node);
  const current = filters();
  try {
    const data = await api.get("conversations/", { ...current, page: pageNumber, page_size: PAGE_SIZE });
    if (!data.count) {
      const filtered = Object.keys(current).length > 0;
      return empty(
        node,
        filtered
          ? "No conversation matches these filters. Loosen or clear them."
          : h(
              "span",
              {},
              h("strong", {}, "No conversation recorded yet. "),
              "Talk to the assistant through its REST channel (",
              h("code", {}, `POST /bots/${encodeURIComponent(page.assistantName)}/webhooks/rest/webhook`),
              ") or share it with testers; every conversation lands here for review.",
            ),
      );
    }
    const first = (pageNumber - 1) * PAGE_SIZE + 1;
    clear(
      node,
      h(
        "p",
        { class: "muted small", style: "margin:0 0 .5rem" },
        `Showing ${first}–${first + data.results.length - 1} of ${data.count}, newest first`,
      ),
      h(
        "table",
        { class: "list", id: "conversation-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Conversation", "Latest user message", "Events", "Lowest confidence", "Tags", "Latest"].map(
              (t) => h("th", {}, t),
            ),
          ),
        ),
        h("tbody", {}, data.results.map(row)),
      ),
      pager({
        page: pageNumber,
        pageSize: PAGE_SIZE,
        count: data.count,
        noun: data.count === 1 ? "conversation" : "conversations",
        onPage: (n) => {
          pageNumber = n;
          load();
        },
      }),
    );
  } catch (err) {
    clear(node, errorBox(err));
  }
}

function row(c) {
  const href = `${page.base}conversations/${c.id}/`;
  const low = c.min_intent_confidence;
  return h(
    "tr",
    {
      class: "clickable",
      onclick: (e) => {
        if (!e.target.closest("a")) location.assign(href);
      },
    },
    h(
      "td",
      {},
      h("a", { href }, c.sender_id),
      h("div", { class: "muted small" }, c.channel || "–"),
      c.reviewed ? h("span", { class: "badge green" }, "reviewed") : null,
      c.flagged_count
        ? h("span", { class: "badge yellow", style: "margin-left:.25rem" }, `${c.flagged_count} flagged`)
        : null,
    ),
    h("td", {}, c.preview || h("span", { class: "muted" }, "–")),
    h("td", {}, c.event_count),
    h(
      "td",
      {},
      low === null || low === undefined
        ? "–"
        : h(
            "span",
            { class: low < 0.5 ? "badge red" : low < 0.8 ? "badge yellow" : "badge green" },
            pct(low),
          ),
    ),
    h(
      "td",
      {},
      h(
        "div",
        { class: "chips" },
        c.tags.map((t) => h("span", { class: "chip" }, t)),
      ),
    ),
    h("td", { class: "muted small" }, when(c.latest_event_at)),
  );
}

async function loadNames() {
  try {
    const [intents, actions, entities, slots, responses, tags] = await Promise.all([
      all("intents/"),
      all("actions/"),
      all("entities/"),
      all("slots/"),
      all("responses/"),
      api.get("tags/"),
    ]);
    datalist(
      "intent-names",
      intents.map((i) => i.name),
    );
    datalist("action-names", [...responses.map((r) => r.name), ...actions.map((a) => a.name)]);
    datalist(
      "entity-names",
      entities.map((e) => e.name),
    );
    datalist(
      "slot-names",
      slots.map((s) => s.name),
    );
    datalist(
      "tag-names",
      (Array.isArray(tags) ? tags : tags.results || []).map((t) => t.name),
    );
  } catch {
    /* the pickers are a convenience */
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  pageNumber = 1;
  load();
});
form.addEventListener("reset", () =>
  setTimeout(() => {
    pageNumber = 1;
    load();
  }),
);
form.elements.reviewed.addEventListener("change", () => {
  pageNumber = 1;
  load();
});
form.elements.flagged.addEventListener("change", () => {
  pageNumber = 1;
  load();
});
fromUrl();
loadNames();
load();
