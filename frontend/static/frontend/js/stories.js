// The list of stories, rules and test stories (paged on the server).
import { api, page } from "./api.js";
import { h, clear, loading, empty, errorBox, debounce, pager } from "./ui.js";

const node = document.getElementById("stories");
const tab = node.dataset.kind;
const PAGE_SIZE = 30;
const state = { q: "", page: 1 };
const filters = tab === "test" ? { is_test: "true" } : tab ? { kind: tab, is_test: "false" } : {};

async function load() {
  loading(node);
  try {
    const data = await api.get("stories/", {
      ...filters,
      q: state.q,
      page: state.page,
      page_size: PAGE_SIZE,
    });
    if (!data.count) {
      return empty(
        node,
        state.q
          ? "Nothing matches this search."
          : h(
              "span",
              {},
              h("strong", {}, "Nothing here yet. "),
              page.canAnnotate
                ? "Write a story (what users say and what the bot does) with New story, or save a good conversation as a story from the Conversations page."
                : "Annotators write stories here or save conversations as stories.",
            ),
      );
    }
    clear(
      node,
      h(
        "table",
        { class: "list" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Name"),
            h("th", {}, "Kind"),
            h("th", {}, "Steps"),
            h("th", {}, "Begins with"),
            h("th", {}, "File"),
          ),
        ),
        h(
          "tbody",
          {},
          data.results.map((story) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `${page.base}stories/${story.id}/` }, story.name)),
              h(
                "td",
                {},
                h(
                  "span",
                  { class: story.kind === "rule" ? "badge yellow" : "badge" },
                  story.is_test ? "test story" : story.kind,
                ),
              ),
              h("td", {}, story.steps.length),
              h(
                "td",
                { class: "muted small" },
                story.steps
                  .slice(0, 3)
                  .map((s) => s.name || s.text || s.kind)
                  .join(" → "),
              ),
              h("td", { class: "muted small" }, story.file || "–"),
            ),
          ),
        ),
      ),
      pager({
        page: state.page,
        pageSize: PAGE_SIZE,
        count: data.count,
        noun: "stories and rules",
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

document.getElementById("story-search").addEventListener(
  "input",
  debounce((e) => {
    state.q = e.target.value.trim();
    state.page = 1;
    load();
  }),
);
load();
