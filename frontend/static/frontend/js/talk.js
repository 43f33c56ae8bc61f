// Talk to your bot: an interactive learning session. In interactive mode every message's
// intent and entities, and every action the bot wants to run, wait for the user's word; a
// different action is learned on the spot (a new model version the user keeps or throws away).
import { page, request } from "./api.js";
import { h, clear, errorBox, toast, pct, highlighted, datalist, selectionIn } from "./ui.js";

const base = page.interactiveApi;
const chat = document.getElementById("chat");
const step = document.getElementById("step");
const composer = document.getElementById("composer");
const modeBox = document.getElementById("interactive-mode");
const modelCard = document.getElementById("model-card");
const slotsCard = document.getElementById("slots-card");
const saveResult = document.getElementById("save-result");
let state = null;
// outside interactive mode the predicted actions run on their own, as many as the server
// runs in one turn at most; then the user is asked, so that a loop cannot go on forever
const MAX_AUTO_ACTIONS = 10;
let autoActions = 0;

const post = (path, body) => request(base + path, { method: "POST", body: body || {} });
const sessionPath = (path = "") => `sessions/${state.id}/${path}`;
const interactive = () => !modeBox || modeBox.checked;

// ------------------------------------------------------------------ the conversation

function userNode(event) {
  const parse = event.parse_data || {};
  const intent = (parse.intent || {}).name;
  const spans = (parse.entities || []).filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end));
  return h(
    "div",
    { class: "ev user", dataset: { position: event.position } },
    h(
      "div",
      { class: "bubble" },
      highlighted(event.text || "", spans),
      h(
        "div",
        { class: "meta" },
        intent ? h("span", { class: "badge", title: "intent" }, intent) : null,
        page.canAnnotate
          ? h(
              "button",
              {
                class: "link small",
                title: "Start a new session from here: the same messages up to this one",
                onclick: () => fork(event.position),
              },
              "Fork here",
            )
          : null,
      ),
    ),
  );
}

function eventNode(event) {
  if (event.event === "user") return userNode(event);
  if (event.event === "bot") {
    return h("div", { class: "ev bot" }, h("div", { class: "bubble" }, event.text || "(rich response)"));
  }
  if (event.event === "action" && !["action_listen", "action_session_start"].includes(event.name)) {
    const mark = (event.metadata || {}).interactive || {};
    return h(
      "div",
      { class: "ev system" },
      h(
        "div",
        { class: "bubble" },
        h("code", {}, event.name),
        mark.corrected ? h("span", { class: "badge yellow", title: `predicted ${mark.predicted_action}` }, "corrected") : null,
      ),
    );
  }
  return null;
}

function drawChat() {
  clear(chat, state.events.map(eventNode));
  if (!state.events.some((e) => e.event === "user")) {
    chat.append(h("div", { class: "empty" }, "Say something to the bot below."));
  }
  chat.scrollTop = chat.scrollHeight;
}

function drawSide() {
  const model = state.model || {};
  clear(
    modelCard,
    h("h3", {}, "Model"),
    h("p", { class: "small" }, "Serving ", h("code", {}, model.model_id || "none")),
    model.interactive
      ? [
          h(
            "p",
            { class: "notice", id: "model-notice" },
            `An on-the-fly version learned ${model.learned_stories} correction(s) on top of `,
            h("code", {}, model.parent_model_id || "?"),
            model.ml_updated ? "; its ML policy was updated too." : "; its ML policy is being updated.",
          ),
          page.canAnnotate
            ? h(
                "div",
                { class: "actions" },
                h("button", { class: "small", onclick: () => modelDecision("keep") }, "Keep this version"),
                h("button", { class: "danger small", onclick: () => modelDecision("discard") }, "Throw it away"),
              )
            : null,
        ]
      : h("p", { class: "muted small" }, "No correction learned yet."),
  );
  const slots = Object.entries(state.slots || {}).filter(([, v]) => v !== null && v !== undefined);
  clear(
    slotsCard,
    h("h3", {}, "Slots"),
    slots.length
      ? h("ul", { class: "plain" }, slots.map(([k, v]) => h("li", {}, h("code", {}, k), ` = ${JSON.stringify(v)}`)))
      : h("p", { class: "muted small" }, "No slot set."),
  );
}

async function show(next) {
  state = next;
  drawChat();
  drawSide();
  if (state.awaiting === "action") {
    if (interactive() || autoActions >= MAX_AUTO_ACTIONS) return actionStep(state.prediction);
    autoActions += 1;
    await runAction(state.prediction.action);
  } else {
    autoActions = 0;
    hideStep();
    focusComposer();
  }
}

/** Put the cursor in the composer, unless the user is typing elsewhere (a story name, say). */
function focusComposer() {
  if (!composer) return;
  const active = document.activeElement;
  const typingElsewhere =
    active && active !== composer.elements.text && active.matches("input:not([type=checkbox]), textarea, select");
  if (!typingElsewhere) composer.elements.text.focus();
}

function hideStep() {
  step.hidden = true;
  clear(step);
  if (composer) composer.hidden = false;
}

function openStep(...children) {
  clear(step, ...children);
  step.hidden = false;
  if (composer) composer.hidden = true;
}

// ------------------------------------------------------------------ the user's message

function intentStep(text, parsed) {
  const predicted = (parsed.intent || {}).name || "";
  let chosen = predicted;
  const entities = (parsed.entities || []).map((e) => ({ ...e }));
  const textBox = h("div", { class: "talk-text", title: "Select words to mark them as an entity" });
  const entityList = h("div", { class: "chips" });
  const intentInput = h("input", {
    name: "intent",
    list: "talk-intents",
    "aria-label": "Intent",
    value: predicted,
    placeholder: "intent name (a new name creates it)",
  });
  const ranking = h("ul", { class: "talk-bars", "aria-label": "Intent ranking" });

  function redraw() {
    clear(textBox, highlighted(text, entities.filter((e) => Number.isInteger(e.start))));
    clear(
      entityList,
      entities.length
        ? entities.map((e, i) =>
            h(
              "span",
              { class: "chip" },
              `${e.entity}=${e.value}`,
              h(
                "button",
                {
                  type: "button",
                  title: "Remove this entity",
                  "aria-label": `Remove ${e.entity}`,
                  onclick: () => {
                    entities.splice(i, 1);
                    redraw();
                  },
                },
                "×",
              ),
            ),
          )
        : h("span", { class: "muted small" }, "No entity. Select words in the message to mark one."),
    );
    for (const row of ranking.querySelectorAll("button")) row.classList.toggle("chosen", row.dataset.name === chosen);
  }

  const rankingRows = (parsed.intent_ranking || (predicted ? [parsed.intent] : [])).slice(0, 10);
  for (const r of rankingRows) {
    ranking.append(
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "bar-row",
            dataset: { name: r.name },
            onclick: () => {
              chosen = r.name;
              intentInput.value = r.name;
              redraw();
            },
          },
          h("span", { class: "bar-name" }, r.name),
          h("span", { class: "bar" }, h("span", { style: `width:${Math.round((r.confidence || 0) * 100)}%` })),
          h("span", { class: "bar-value" }, pct(r.confidence || 0)),
        ),
      ),
    );
  }
  intentInput.addEventListener("input", () => {
    chosen = intentInput.value.trim();
    redraw();
  });

  const entityName = h("input", { name: "entity", list: "talk-entities", "aria-label": "Entity type", placeholder: "entity type" });
  const markButton = h("button", { type: "button", class: "secondary small" }, "Mark selection as entity");
  const selected = h("span", { class: "muted small", id: "selected-words" });
  // typing the entity type moves the focus (and the selection) away: keep the last one
  let span = null;
  const onSelection = () => {
    if (!textBox.isConnected) return document.removeEventListener("selectionchange", onSelection);
    const found = selectionIn(textBox.firstChild);
    if (!found) return;
    span = found;
    selected.textContent = `Selected: “${text.slice(span.start, span.end)}”`;
  };
  document.addEventListener("selectionchange", onSelection);
  markButton.addEventListener("click", () => {
    const name = entityName.value.trim();
    if (!span) return toast("Select the entity's words in the message first.", true);
    if (!name) return toast("Type the entity type.", true);
    entities.push({ entity: name, value: text.slice(span.start, span.end), start: span.start, end: span.end });
    entities.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    window.getSelection().removeAllRanges();
    span = null;
    selected.textContent = "";
    redraw();
  });

  const confirm = h("button", { type: "submit" }, "Confirm intent and entities");
  const form = h(
    "form",
    { class: "talk-intent", autocomplete: "off" },
    h("h3", {}, "Is this what the user means?"),
    textBox,
    h(
      "p",
      {},
      "Predicted intent ",
      h("strong", { id: "predicted-intent" }, predicted || "none"),
      " ",
      h("span", { class: "badge" }, pct((parsed.intent || {}).confidence || 0)),
    ),
    ranking,
    h("label", {}, "Intent ", intentInput),
    h("h4", {}, "Entities"),
    entityList,
    h("div", { class: "row" }, h("label", { class: "grow" }, "Entity type ", entityName), markButton),
    selected,
    datalist("talk-intents", state.intents),
    datalist("talk-entities", state.entities),
    h("div", { class: "actions" }, confirm, h("button", { type: "button", class: "secondary", onclick: hideStep }, "Cancel")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const intent = intentInput.value.trim();
    if (!intent) return toast("Choose or type an intent.", true);
    confirm.disabled = true;
    try {
      await show(await post(sessionPath("messages/"), { text, intent, entities }));
    } catch (err) {
      confirm.disabled = false;
      form.prepend(errorBox(err));
    }
  });
  openStep(form);
  redraw();
  intentInput.focus();
}

async function send(text) {
  try {
    const parsed = await post(sessionPath("parse/"), { text });
    if (interactive()) return intentStep(text, parsed);
    await show(
      await post(sessionPath("messages/"), { text, intent: (parsed.intent || {}).name, entities: parsed.entities || [] }),
    );
  } catch (err) {
    toast(err.message, true);
  }
}

// ------------------------------------------------------------------ the bot's action

function actionStep(prediction) {
  const bars = h("ul", { class: "talk-bars", id: "action-scores", "aria-label": "Every action's probability" });
  for (const row of prediction.scores) {
    bars.append(
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `bar-row${row.action === prediction.action ? " chosen" : ""}`,
            dataset: { name: row.action },
            title: `Run ${row.action} instead`,
            onclick: () => runAction(row.action),
          },
          h("span", { class: "bar-name" }, row.action),
          h("span", { class: "bar" }, h("span", { style: `width:${Math.round(row.score * 100)}%` })),
          h("span", { class: "bar-value" }, pct(row.score)),
        ),
      ),
    );
  }
  const newName = h("input", { name: "name", "aria-label": "New response name", placeholder: "utter_new_response", pattern: "[^\\s/{}]+" });
  const newText = h("textarea", { name: "response_text", "aria-label": "New response text", rows: 2, placeholder: "What the bot says" });
  const newForm = h(
    "form",
    { class: "talk-new-response", autocomplete: "off" },
    h("h4", {}, "Or create a new response"),
    h("label", {}, "Name ", newName),
    h("label", {}, "Text ", newText),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary small" }, "Create and run")),
  );
  newForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = newName.value.trim();
    const text = newText.value.trim();
    if (!name || !text) return toast("A new response needs a name and a text.", true);
    runAction(name, text);
  });
  openStep(
    h("h3", {}, "The bot wants to run ", h("code", { id: "predicted-action" }, prediction.action)),
    h(
      "p",
      { class: "muted small" },
      `confidence ${pct(prediction.confidence)}`,
      prediction.policy ? ` · ${prediction.policy}` : "",
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "confirm-action", onclick: () => runAction(prediction.action) }, "Correct, run it"),
    ),
    h("p", { class: "small" }, "Or pick the right action:"),
    bars,
    newForm,
  );
}

async function runAction(name, responseText) {
  for (const button of step.querySelectorAll("button")) button.disabled = true;
  try {
    const result = await post(sessionPath("actions/"), { name, response_text: responseText || "" });
    const learned = result.learned;
    if (learned && learned.learned) {
      toast(`Learned: the bot now runs ${name} here, in every conversation.`);
    } else if (learned && !learned.learned) {
      toast(`Not learned yet (${learned.reason}); it will be after the next training.`, true);
    }
    await show(result.state);
  } catch (err) {
    toast(err.message, true);
    for (const button of step.querySelectorAll("button")) button.disabled = false;
  }
}

// ------------------------------------------------------------------ the session

async function control(path) {
  try {
    await show(await post(sessionPath(path)));
  } catch (err) {
    toast(err.message, true);
  }
}

async function modelDecision(what) {
  try {
    state.model = await post(`model/${what}/`);
    drawSide();
    toast(what === "keep" ? "The new version stays." : "Thrown away: the previous model answers again.");
    if (state.awaiting === "action") await show(await request(base + sessionPath()));
  } catch (err) {
    toast(err.message, true);
  }
}

async function open(path, body) {
  const next = await post(path, body);
  history.replaceState(null, "", `${page.base}talk/${next.id}/`);
  await show(next);
}

async function fork(position) {
  try {
    await open("sessions/", { conversation: state.id, position });
    toast("Forked: a new session from that message.");
  } catch (err) {
    toast(err.message, true);
  }
}

/** A fine-tune checker's difference in words ("changed" details leave out the name). */
function differenceText(d) {
  return d.change === "changed" ? `${d.kind} '${d.name}' ${d.detail}` : d.detail;
}

function savedReport(result) {
  const stories = result.stories.map((s) => h("li", {}, `${s.is_test ? "Test story" : "Story"} “${s.name}”`));
  return [
    h("p", { class: "notice", role: "status" }, "Saved to the training data."),
    h("ul", { class: "plain", id: "saved-items" }, stories,
      result.examples.map((t) => h("li", {}, `NLU example “${t}”`)),
      result.domain_added.map((t) => h("li", {}, `Added to the domain: ${t}`))),
    result.full_training_required
      ? h(
          "div",
          { class: "notice warn", id: "full-training", role: "status" },
          h("strong", {}, "The next training must be a full one: "),
          "these changes are more than a fine-tune can absorb.",
          h("ul", {}, result.differences.map((d) => h("li", {}, differenceText(d)))),
        )
      : h("p", { class: "muted small" }, "A fine-tune can take these changes."),
  ];
}

function wire() {
  if (composer) {
    composer.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = composer.elements.text.value;
      if (!text.trim()) return;
      composer.elements.text.value = "";
      send(text);
    });
    document.getElementById("undo").addEventListener("click", () => control("undo/"));
    document.getElementById("restart").addEventListener("click", () => control("restart/"));
    document.getElementById("new-session").addEventListener("click", () => open("sessions/").catch((err) => toast(err.message, true)));
    const saveForm = document.getElementById("save-form");
    saveForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const result = await post(sessionPath("save/"), {
          name: saveForm.elements.name.value.trim(),
          test: saveForm.elements.test.checked,
        });
        clear(saveResult, savedReport(result));
      } catch (err) {
        clear(saveResult, errorBox(err));
      }
    });
  }
}

async function init() {
  wire(); // the composer shows once the session is loaded
  try {
    if (page.sessionId) await show(await request(`${base}sessions/${page.sessionId}/`));
    else if (page.canAnnotate) await open("sessions/");
    else clear(modelCard, h("p", { class: "muted" }, "Open a session from a conversation to read it."));
  } catch (err) {
    clear(chat, errorBox(err));
    clear(modelCard);
    if (composer) composer.hidden = true;
  }
}

init();
