// One story or rule as YAML, checked as one types (the server reads it with Parley's Rasa
// reader) and saved through the API; problems are listed with their lines, the input is kept.
import { api, request, page } from "./api.js";
import { h, clear, toast, debounce, flatten } from "./ui.js";
import { stepItems } from "./steps.js";

const editor = JSON.parse(document.getElementById("story-editor").textContent);
const textarea = document.getElementById("story-yaml");
const problemsNode = document.getElementById("story-problems");
const stepsNode = document.getElementById("story-steps");
const statusNode = document.getElementById("story-status");
let storyId = editor.storyId;

function renderSteps(story) {
  if (!story) return;
  const items = [];
  if (story.condition && story.condition.length)
    items.push(
      h(
        "li",
        { class: "muted small" },
        h("span", { class: "kind" }, "condition"),
        story.condition
          .map((c) => `${c.kind}: ${c.name || (c.slots || []).map((s) => s.name).join(", ")}`)
          .join("; "),
      ),
    );
  items.push(...stepItems(story.steps));
  clear(stepsNode, items.length ? items : h("li", { class: "muted" }, "No steps yet."));
}

function goToLine(line) {
  if (!line) return;
  const lines = textarea.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
  textarea.scrollTop = Math.max(0, (line - 5) * 20);
}

function showProblems(problems) {
  textarea.classList.toggle("invalid", problems.length > 0);
  clear(
    problemsNode,
    problems.map((p) =>
      h(
        "li",
        { onclick: () => goToLine(p.line), title: p.line ? "Go to the line" : "" },
        p.line ? `Line ${p.line}: ${p.message}` : p.message,
      ),
    ),
  );
}

async function parse() {
  const data = await request(editor.parseUrl, {
    method: "POST",
    body: { yaml: textarea.value, is_test: editor.isTest },
  });
  showProblems(data.problems);
  // while the YAML does not read, the steps shown are those of the last version that did
  stepsNode.classList.toggle("stale", !data.story);
  stepsNode.title = data.story ? "" : "The last version without problems";
  if (data.story) renderSteps(data.story);
  return data;
}

// the API reports a step's error by its index; the parsed payload knows each step's line
function apiProblems(err, story) {
  const problems = [];
  const byIndex = (detail, steps) => {
    const entries = Array.isArray(detail) ? detail.map((d, i) => [i, d]) : Object.entries(detail);
    for (const [index, inner] of entries) {
      const message = flatten(inner);
      if (message) problems.push({ line: (steps[index] && steps[index].line) || 0, message });
    }
  };
  for (const [field, detail] of Object.entries(err.errors || {})) {
    if (field === "steps" && typeof detail === "object") byIndex(detail, story.steps);
    else if (field === "condition" && typeof detail === "object") byIndex(detail, story.condition);
    else
      problems.push({
        line: 0,
        message: `${field === "non_field_errors" ? "" : field + ": "}${flatten(detail)}`,
      });
  }
  return problems.length ? problems : [{ line: 0, message: err.message }];
}

if (editor.initial) renderSteps(editor.initial);
else parse().catch(() => {});

if (page.canAnnotate) {
  textarea.addEventListener(
    "input",
    debounce(() => {
      statusNode.textContent = "Checking…";
      parse()
        .then(() => {
          statusNode.textContent = "";
        })
        .catch((err) => {
          statusNode.textContent = err.message;
        });
    }, 500),
  );
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
    }
    if (event.key === "s" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      document.getElementById("story-form").requestSubmit();
    }
  });
  document.getElementById("story-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter || event.target.querySelector("[type=submit]");
    button.disabled = true;
    statusNode.textContent = "Saving…";
    try {
      const parsed = await parse();
      if (!parsed.story) {
        statusNode.textContent = "Fix the problems listed above, then save.";
        return;
      }
      const body = { ...parsed.story, is_test: editor.isTest || parsed.story.is_test };
      try {
        const saved = storyId ? await api.put(`stories/${storyId}/`, body) : await api.post("stories/", body);
        statusNode.textContent = "Saved.";
        toast("Saved.");
        document.getElementById("story-title").textContent = saved.name;
        if (!storyId) {
          storyId = saved.id;
          location.assign(`${page.base}stories/${saved.id}/`);
        }
      } catch (err) {
        showProblems(apiProblems(err, parsed.story));
        statusNode.textContent = "Not saved.";
      }
    } catch (err) {
      statusNode.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  const deleteButton = document.getElementById("story-delete");
  if (deleteButton)
    deleteButton.addEventListener("click", async () => {
      if (!confirm("Delete this story?")) return;
      try {
        await api.del(`stories/${storyId}/`);
        location.assign(editor.listUrl);
      } catch (err) {
        toast(err.message, true);
      }
    });
}
