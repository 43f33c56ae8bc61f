// The Training page: fine-tune or train from scratch, live progress (websocket, with polling
// of the job API when the socket is unavailable), the jobs, the model registry, the settings.
import { api, page } from "./api.js";
import { busy, clear, empty, errorBox, h, toast, when } from "./ui.js";

const $ = (id) => document.getElementById(id);
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
let currentJob = null; // the job shown in the progress bar
let pollTimer = null;
let socketOpen = false;

function size(bytes) {
  if (!bytes) return "0 B";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

function headline(metrics) {
  const parts = [];
  const nlu = (metrics || {}).nlu;
  const stories = (metrics || {}).stories;
  if (nlu) {
    const on = nlu.held_out ? ` (${nlu.examples} held out)` : "";
    parts.push(`intent acc ${nlu.intent_accuracy.toFixed(3)}${on}`, `entity F1 ${nlu.entity_f1.toFixed(3)}`);
  }
  if (stories) parts.push(`stories ${stories.conversation_accuracy.toFixed(3)}`);
  return parts.join(", ") || "–";
}

// ------------------------------------------------------------------------- fine-tune check

async function loadCheck() {
  const node = $("finetune-status");
  try {
    const check = await api.get("training/finetune-check/");
    const button = $("finetune");
    if (button) button.disabled = !check.possible;
    if (check.possible) {
      clear(node, h("p", { class: "ok" }, "Fine-tuning is possible: ", check.summary));
    } else {
      clear(
        node,
        h("p", {}, "Fine-tuning is not possible: ", check.summary),
        h(
          "ul",
          { id: "finetune-reasons" },
          check.differences.map((d) => h("li", {}, `${d.kind} ${d.name ? `'${d.name}' ` : ""}${d.change}: ${d.detail}`)),
        ),
      );
    }
    const recommend = $("recommend");
    recommend.hidden = !check.recommend_full;
    recommend.textContent = `The active model is ${check.finetunes_since_full} fine-tunes away from its last full training (limit ${check.finetune_limit}): train from scratch soon.`;
  } catch (error) {
    clear(node, errorBox(error));
  }
}

// ---------------------------------------------------------------------------------- lists

async function loadModels() {
  const node = $("models");
  try {
    const [models, disk] = await Promise.all([api.get("models/", { page_size: 100 }), api.get("models/disk/")]);
    $("disk-use").textContent = `${disk.models} models, ${size(disk.bytes)} on disk`;
    if (!models.results.length) return empty(node, "No model yet: train one.");
    const rows = models.results.map((m) =>
      h(
        "tr",
        { dataset: { model: m.model_id }, class: m.active ? "active-model" : "" },
        h("td", {}, h("code", {}, m.model_id.slice(0, 10)), m.active ? h("span", { class: "badge green" }, "active") : null),
        h("td", {}, m.kind === "finetune" ? `fine-tune #${m.fine_tune_count}` : "full"),
        h("td", {}, m.parent_model_id ? h("code", {}, m.parent_model_id.slice(0, 10)) : "–"),
        h("td", {}, headline(m.metrics)),
        h("td", {}, size(m.size_bytes)),
        h("td", {}, when(m.created_at)),
        h("td", {}, m.started_by || m.origin),
        h("td", {}, (m.tags || []).join(", ")),
        h("td", { class: "actions" }, modelActions(m)),
      ),
    );
    clear(
      node,
      h(
        "table",
        { class: "list", id: "models-table" },
        h("thead", {}, h("tr", {}, ["Model", "Kind", "Parent", "Metrics", "Size", "Trained", "By", "Tags", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows),
      ),
    );
  } catch (error) {
    clear(node, errorBox(error));
  }
}

function modelActions(model) {
  const buttons = [
    h("button", { type: "button", class: "secondary small", onclick: () => showEvaluation(model.model_id) }, model.active ? "Evaluation" : "Compare"),
    h("a", { class: "button secondary small", href: api.url(`models/${model.model_id}/download/`) }, "Download"),
  ];
  if (!page.isAdmin) return buttons;
  if (!model.active) {
    buttons.push(
      h("button", { type: "button", class: "small", onclick: (e) => act(e.target, () => api.post(`models/${model.model_id}/activate/`), "Activated.") }, "Activate"),
      h("button", { type: "button", class: "secondary small danger", onclick: (e) => {
        if (confirm(`Delete model ${model.model_id}?`)) act(e.target, () => api.del(`models/${model.model_id}/`), "Deleted.");
      } }, "Delete"),
    );
  }
  buttons.push(
    h("button", { type: "button", class: "secondary small", onclick: (e) => {
      const tags = prompt("Tags, separated by commas", (model.tags || []).join(", "));
      if (tags !== null) act(e.target, () => api.put(`models/${model.model_id}/tags/`, { tags: tags.split(",") }), "Tagged.");
    } }, "Tags"),
  );
  return buttons;
}

// ------------------------------------------------------------------ evaluation / comparison

const FIGURE_NAMES = {
  "nlu.intent_accuracy": "Intent accuracy",
  "nlu.intent_macro_f1": "Intent macro F1",
  "nlu.entity_f1": "Entity F1",
  "stories.conversation_accuracy": "Conversation accuracy",
  "stories.action_accuracy": "Action accuracy",
};
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function showEvaluation(modelId) {
  const card = $("model-compare");
  const body = $("model-compare-body");
  card.hidden = false;
  clear(body, h("div", { class: "loading", role: "status" }, "Loading…"));
  try {
    const model = await api.get(`models/${modelId}/`);
    const comparison = model.comparison_with_active;
    $("model-compare-title").textContent = comparison
      ? `Model ${modelId.slice(0, 10)} against the active model ${comparison.old_model_id.slice(0, 10)}`
      : `Model ${modelId.slice(0, 10)}${model.active ? " (active)" : ""}`;
    const nlu = (model.metrics || {}).nlu;
    clear(
      body,
      comparison ? figuresTable(comparison.figures) : h("p", { class: "muted" }, model.active ? "This is the active model." : "No active model to compare with."),
      comparison ? intentsWorse(comparison.intents_worse) : null,
      h("h4", {}, "Intent confusion"),
      nlu && nlu.confusion ? confusionChart(nlu.confusion, nlu.held_out) : h("p", { class: "muted" }, "This model has no NLU evaluation."),
    );
    card.scrollIntoView({ block: "nearest" });
  } catch (error) {
    clear(body, errorBox(error));
  }
}

function figuresTable(figures) {
  const names = Object.keys(figures).filter((name) => !name.startsWith("held_out."));
  if (!names.length) return h("p", { class: "muted" }, "The two models share no figures.");
  const signed = (value) => `${value > 0 ? "+" : ""}${value.toFixed(3)}`;
  return h(
    "table",
    { class: "list", id: "compare-figures" },
    h("thead", {}, h("tr", {}, ["Figure", "Active", "This model", "Change"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      names.map((name) => {
        const f = figures[name];
        const tone = f.worse ? "worse" : f.change > 0 ? "better" : "same";
        return h(
          "tr",
          { class: tone, dataset: { figure: name } },
          h("td", {}, FIGURE_NAMES[name] || name),
          h("td", {}, f.old.toFixed(3)),
          h("td", {}, f.new.toFixed(3)),
          h("td", { class: `change ${tone}` }, signed(f.change)),
        );
      }),
    ),
  );
}

function intentsWorse(items) {
  if (!items.length) return h("p", { class: "ok", id: "intents-worse" }, "No intent got worse.");
  return h(
    "div",
    { id: "intents-worse" },
    h("h4", {}, `Intents that got worse (${items.length})`),
    h(
      "ul",
      { class: "plain" },
      items.map((item) =>
        h("li", {}, h("code", {}, item.intent), ` F1 ${item.old_f1.toFixed(3)} → `, h("span", { class: "change worse" }, item.new_f1.toFixed(3))),
      ),
    ),
  );
}

// An SVG heatmap: gold intents down, predicted intents across; the diagonal is green, the
// confusions red, each shaded by its share of the row.
function confusionChart(confusion, heldOut) {
  const labels = confusion.labels;
  if (!labels.length) return h("p", { class: "muted" }, "No examples were measured.");
  const cell = 22;
  const gutter = Math.min(180, 8 + 7 * Math.max(...labels.map((l) => l.length)));
  const size = gutter + cell * labels.length;
  const width = size + Math.round(gutter / 2); // the last rotated column label leans right
  const chart = svg("svg", { id: "confusion-chart", width, height: size + 4, viewBox: `0 0 ${width} ${size + 4}`, role: "img", "aria-label": "Intent confusion matrix" });
  labels.forEach((label, i) => {
    const offset = gutter + i * cell + cell / 2;
    chart.append(
      svg("text", { x: gutter - 6, y: offset + 4, "text-anchor": "end", class: "axis" }, label),
      svg("text", { x: offset, y: gutter - 6, transform: `rotate(-60 ${offset} ${gutter - 6})`, class: "axis" }, label),
    );
  });
  confusion.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      const share = count / total;
      const fill = count === 0 ? "#f1f3f5" : i === j ? `rgba(43, 138, 62, ${0.2 + 0.8 * share})` : `rgba(201, 42, 42, ${0.2 + 0.8 * share})`;
      const rect = svg("rect", { x: gutter + j * cell, y: gutter + i * cell, width: cell - 1, height: cell - 1, fill, class: "cell" });
      rect.append(svg("title", {}, `${labels[i]} → ${labels[j]}: ${count}`));
      chart.append(rect);
      if (count) chart.append(svg("text", { x: gutter + j * cell + cell / 2, y: gutter + i * cell + cell / 2 + 4, "text-anchor": "middle", class: share > 0.5 ? "count dark" : "count" }, count));
    });
  });
  const shown = labels.length < confusion.intents ? ` The ${labels.length} of ${confusion.intents} intents with the most errors.` : "";
  return h(
    "figure",
    { class: "confusion" },
    h("div", { class: "confusion-scroll" }, chart),
    h("figcaption", { class: "muted" }, `Rows: the annotated intent; columns: the predicted one; measured on ${heldOut ? "held-out" : "training"} examples.${shown}`),
  );
}

async function act(button, work, message) {
  try {
    await busy(button, work);
    toast(message);
  } catch (error) {
    toast(error.message, true);
  }
  await Promise.all([loadModels(), loadCheck()]);
}

async function loadJobs() {
  const node = $("jobs");
  try {
    const jobs = await api.get("training/jobs/", { page_size: 20 });
    if (!jobs.results.length) return empty(node, "No training yet.");
    const running = jobs.results.find((j) => !TERMINAL.has(j.state));
    if (running && (!currentJob || currentJob.id !== running.id)) showJob(running);
    clear(
      node,
      h(
        "table",
        { class: "list", id: "jobs-table" },
        h("thead", {}, h("tr", {}, ["Job", "Kind", "State", "Progress", "Started", "By", "Model", "Message"].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          jobs.results.map((j) =>
            h(
              "tr",
              { dataset: { job: j.id } },
              h("td", {}, `#${j.id}`),
              h("td", {}, j.kind === "finetune" ? `fine-tune (epoch fraction ${j.epoch_fraction})` : "full"),
              h("td", {}, h("span", { class: `badge ${j.state === "succeeded" ? "green" : j.state === "failed" ? "red" : "gray"}` }, j.state)),
              h("td", {}, `${Math.round((j.progress || {}).percent || 0)}%`),
              h("td", {}, when(j.started_at || j.created_at)),
              h("td", {}, j.started_by || "–"),
              h("td", {}, j.model_id ? h("code", {}, j.model_id.slice(0, 10)) : "–"),
              h("td", {}, j.human_readable_error || ""),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    clear(node, errorBox(error));
  }
}

// ------------------------------------------------------------------------------- progress

function showJob(job) {
  const wasRunning = currentJob && currentJob.id === job.id && !TERMINAL.has(currentJob.state);
  currentJob = job;
  const progress = job.progress || {};
  const percent = Math.round(progress.percent || 0);
  $("job-live").hidden = false;
  $("job-progress").value = percent;
  $("job-percent").textContent = `${percent}%`;
  const cancel = $("job-cancel");
  if (cancel) cancel.hidden = TERMINAL.has(job.state);
  let status = `Job #${job.id} (${job.kind}): ${job.state}`;
  if (progress.node && !TERMINAL.has(job.state)) {
    status += ` — ${progress.node}`;
    if (progress.epochs) status += `, epoch ${progress.epoch}/${progress.epochs}`;
    if (progress.loss !== undefined) status += `, loss ${progress.loss}`;
    if (progress.accuracy !== undefined) status += `, accuracy ${progress.accuracy}`;
  }
  if (job.human_readable_error) status += ` — ${job.human_readable_error}`;
  $("job-status").textContent = status;
  if (TERMINAL.has(job.state)) {
    stopPolling();
    if (wasRunning || job.state === "succeeded") Promise.all([loadModels(), loadJobs(), loadCheck()]);
  } else if (!socketOpen) {
    startPolling();
  }
}

function startPolling() {
  if (pollTimer) return;
  pollTimer = setInterval(async () => {
    if (!currentJob) return stopPolling();
    try {
      showJob(await api.get(`training/jobs/${currentJob.id}/`));
    } catch (error) {
      stopPolling();
    }
  }, 1000);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let socket;
  try {
    socket = new WebSocket(`${scheme}://${location.host}${page.socket}`);
  } catch {
    return;
  }
  socket.addEventListener("open", () => {
    socketOpen = true;
    stopPolling();
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type !== "job.update") return;
    const job = message.job;
    if (currentJob && currentJob.id === job.id) showJob({ ...currentJob, ...job });
    else if (!TERMINAL.has(job.state)) showJob(job);
  });
  socket.addEventListener("close", () => {
    socketOpen = false;
    if (currentJob && !TERMINAL.has(currentJob.state)) startPolling();
    setTimeout(connect, 3000);
  });
}

async function start(kind, button) {
  const body = { kind };
  if (kind === "finetune") body.epoch_fraction = Number($("epoch-fraction").value) || null;
  try {
    const job = await busy(button, () => api.post("training/jobs/", body));
    showJob(job);
    loadJobs();
  } catch (error) {
    if (error.code === "finetune_refused") loadCheck();
    toast(error.message, true);
  }
}

// -------------------------------------------------------------------------------- settings

const fractionInput = $("epoch-fraction");
if (fractionInput) fractionInput.addEventListener("input", () => (fractionInput.dataset.edited = "1"));

async function loadSettings() {
  const form = $("settings-form");
  const fraction = $("epoch-fraction");
  try {
    const settings = await api.get("training/settings/");
    // the assistant's default, unless the user already typed this click's own fraction
    if (fraction && !fraction.dataset.edited) fraction.value = settings.epoch_fraction;
    if (!form) return;
    for (const [key, value] of Object.entries(settings)) {
      const input = form.elements[key];
      if (!input) continue;
      if (input.type === "checkbox") input.checked = value;
      else input.value = value;
    }
  } catch (error) {
    if (form) form.append(errorBox(error));
  }
}

function wire() {
  $("model-compare-close").addEventListener("click", () => {
    $("model-compare").hidden = true;
  });
  const finetune = $("finetune");
  if (finetune) finetune.addEventListener("click", () => start("finetune", finetune));
  const full = $("train-full");
  if (full) full.addEventListener("click", () => start("full", full));
  const cancel = $("job-cancel");
  if (cancel) {
    cancel.addEventListener("click", async () => {
      if (!currentJob) return;
      try {
        showJob(await api.post(`training/jobs/${currentJob.id}/cancel/`));
      } catch (error) {
        toast(error.message, true);
      }
    });
  }
  const form = $("settings-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const e = form.elements;
      try {
        await api.patch("training/settings/", {
          epoch_fraction: Number(e.epoch_fraction.value),
          finetune_limit: Number(e.finetune_limit.value),
          keep_models: Number(e.keep_models.value),
          nlu_holdout_percent: Number(e.nlu_holdout_percent.value),
          activate_only_if_not_worse: e.activate_only_if_not_worse.checked,
          schedule: e.schedule.value,
        });
        toast("Settings saved.");
        loadSettings();
        loadCheck();
      } catch (error) {
        toast(error.message, true);
      }
    });
  }
}

wire();
connect();
loadSettings();
loadCheck();
loadModels();
loadJobs();
