// One conversation: its events a window at a time, tags, review state, flags, and saving it
// as a story or a test story.
import { api, page, request } from "./api.js";
import { h, clear, errorBox, toast, pct, when, clock, highlighted, flatten, busy } from "./ui.js";

const id = document.getElementById("conversation").dataset.id;
const timeline = document.getElementById("timeline");
const more = document.getElementById("timeline-more");
const details = document.getElementById("conv-details");
const tagsNode = document.getElementById("conv-tags");
const WINDOW = 200;
let conversation = null;

const back = sessionStorage.getItem(`parley-conversations-${page.assistantId}`);
if (back) document.getElementById("back-link").href = back;

function badgeFor(confidence) {
  if (confidence === null || confidence === undefined) return null;
  return h(
    "span",
    {
      class: confidence < 0.5 ? "badge red" : confidence < 0.8 ? "badge yellow" : "badge green",
      title: "confidence",
    },
    pct(confidence),
  );
}

/** The model's top intents for a message, for the intent badge's tooltip. */
function ranking(event) {
  return (
    (event.intent_ranking || [])
      .slice(0, 5)
      .map((r) => `${r.name}: ${pct(r.confidence)}`)
      .join("\n") || ""
  );
}

function flagButton(event, wrap) {
  if (!page.canAnnotate) return null;
  const button = h(
    "button",
    { class: "link small", title: "Flag this message for a closer look" },
    event.flagged ? "Unflag" : "Flag",
  );
  button.addEventListener("click", async () => {
    try {
      const result = await api.post(`conversations/${id}/events/${event.position}/flag/`, {
        flagged: !event.flagged,
      });
      event.flagged = result.flagged;
      wrap.classList.toggle("flagged", event.flagged);
      button.textContent = event.flagged ? "Unflag" : "Flag";
      toast(event.flagged ? "Flagged." : "Flag removed.");
    } catch (err) {
      toast(err.message, true);
    }
  });
  return button;
}

/** Open the conversation in interactive mode at this message: a new session with the
 * events up to it, where the bot's next action waits for the user's word. */
function correctButton(event) {
  if (!page.canAnnotate) return null;
  return h(
    "button",
    {
      class: "link small",
      title: "Open the conversation in interactive mode at this message, to correct the bot",
      onclick: async () => {
        try {
          const session = await request(`${page.api}interactive/sessions/`, {
            method: "POST",
            body: { conversation: Number(id), position: event.position },
          });
          window.location.href = `${page.base}talk/${session.id}/`;
        } catch (err) {
          toast(err.message, true);
        }
      },
    },
    "Correct from here",
  );
}

function eventNode(event) {
  if (event.kind === "user") {
    const wrap = h("div", {
      class: `ev user${event.flagged ? " flagged" : ""}`,
      dataset: { position: event.position },
    });
    wrap.append(
      h(
        "div",
        { class: "bubble" },
        event.text
          ? highlighted(
              event.text,
              (event.entities || []).filter((e) => e.start !== undefined && e.end !== undefined),
            )
          : h("span", { class: "muted" }, "(no text)"),
        h(
          "div",
          { class: "meta" },
          event.intent ? h("span", { class: "badge", title: ranking(event) }, event.intent) : null,
          badgeFor(event.intent_confidence),
          (event.entities || [])
            .filter((e) => e.start === undefined)
            .map((e) => h("span", { class: "chip" }, `${e.entity}=${e.value}`)),
          h("span", { title: when(event.timestamp) }, clock(event.timestamp)),
          flagButton(event, wrap),
          correctButton(event),
        ),
      ),
    );
    return wrap;
  }
  if (event.kind === "bot") {
    return h(
      "div",
      { class: "ev bot", dataset: { position: event.position } },
      h(
        "div",
        { class: "bubble" },
        event.text || h("span", { class: "muted" }, "(rich response)"),
        h("div", { class: "meta" }, h("span", { title: when(event.timestamp) }, clock(event.timestamp))),
      ),
    );
  }
  if (event.kind === "action") {
    if (event.action === "action_listen") return null;
    return h(
      "div",
      { class: "ev system", dataset: { position: event.position } },
      h(
        "div",
        { class: "bubble" },
        h("code", {}, event.action),
        event.policy ? ` · ${event.policy}` : "",
        " ",
        badgeFor(event.confidence),
      ),
    );
  }
  if (event.kind === "slot") {
    return h(
      "div",
      { class: "ev system" },
      h(
        "div",
        { class: "bubble" },
        "slot ",
        h("code", {}, event.slot_name),
        " = ",
        h("code", {}, JSON.stringify(event.slot_value)),
      ),
    );
  }
  if (event.kind === "active_loop") {
    const name = (event.data && event.data.name) || event.action;
    return h(
      "div",
      { class: "ev system" },
      h("div", { class: "bubble" }, name ? `form ${name} starts` : "form ends"),
    );
  }
  const label =
    {
      session_started: "new session",
      restart: "conversation restarted",
      rewind: "user message rewound",
      undo: "bot action undone",
      reset_slots: "slots reset",
    }[event.kind] || event.kind;
  return h("div", { class: "ev system" }, h("div", { class: "bubble" }, label));
}

async function loadWindow(after) {
  const loader = h("div", { class: "loading" }, "Loading events…");
  clear(more, loader);
  try {
    const data = await api.get(`conversations/${id}/events/`, { after, limit: WINDOW });
    timeline.append(...data.results.map(eventNode).filter(Boolean));
    if (!timeline.children.length)
      timeline.append(h("div", { class: "empty" }, "This conversation has no events."));
    clear(
      more,
      data.next_after !== null && data.next_after !== undefined
        ? h(
            "button",
            { class: "secondary", onclick: () => loadWindow(data.next_after) },
            `Load the next ${WINDOW} events`,
          )
        : null,
    );
  } catch (err) {
    clear(more, errorBox(err));
  }
}

function renderDetails() {
  const c = conversation;
  const reviewed = h(
    "button",
    { class: c.reviewed ? "secondary" : "", id: "review-toggle" },
    c.reviewed ? "Mark as not reviewed" : "Mark as reviewed",
  );
  reviewed.addEventListener("click", async () => {
    try {
      conversation = {
        ...conversation,
        ...(await api.post(`conversations/${id}/review/`, { reviewed: !c.reviewed })),
      };
      renderDetails();
      toast(conversation.reviewed ? "Marked as reviewed." : "Marked as not reviewed.");
    } catch (err) {
      toast(err.message, true);
    }
  });
  const slots = Object.entries(c.slots || {}).filter(([, v]) => v !== null && v !== undefined);
  clear(
    details,
    h(
      "h3",
      {},
      "Details ",
      c.reviewed
        ? h("span", { class: "badge green" }, "reviewed")
        : h("span", { class: "badge gray" }, "not reviewed"),
    ),
    h(
      "dl",
      {},
      h("dt", {}, "Sender"),
      h("dd", {}, c.sender_id),
      h("dt", {}, "Channel"),
      h("dd", {}, c.channel || "–"),
      h("dt", {}, "Started"),
      h("dd", {}, when(c.started_at)),
      h("dt", {}, "Latest"),
      h("dd", {}, when(c.latest_event_at)),
      h("dt", {}, "Events"),
      h("dd", {}, c.event_count),
      h("dt", {}, "Flagged"),
      h("dd", {}, c.flagged_count),
      h("dt", {}, "Model"),
      h("dd", { class: "small code" }, c.model_id ? c.model_id.slice(0, 12) : "–"),
      c.active_loop ? [h("dt", {}, "Form"), h("dd", {}, c.active_loop)] : null,
      h("dt", {}, "Slots"),
      h(
        "dd",
        {},
        slots.length
          ? h(
              "div",
              { class: "chips" },
              slots.map(([k, v]) => h("span", { class: "chip" }, `${k}=${JSON.stringify(v)}`)),
            )
          : "–",
      ),
    ),
    page.canAnnotate ? h("div", { class: "actions" }, reviewed) : null,
  );
  renderTags();
}

function renderTags() {
  const tags = conversation.tags;
  const save = async (next) => {
    try {
      conversation = { ...conversation, ...(await api.post(`conversations/${id}/tags/`, { tags: next })) };
      renderTags();
    } catch (err) {
      toast(err.message, true);
    }
  };
  const input = h("input", {
    placeholder: "Add a tag and press Enter",
    "aria-label": "New tag",
    style: "margin-top:.5rem",
  });
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const tag = input.value.trim();
    if (tag && !tags.includes(tag)) save([...tags, tag]);
  });
  clear(
    tagsNode,
    h("h3", {}, "Tags"),
    tags.length
      ? h(
          "div",
          { class: "chips" },
          tags.map((t) =>
            h(
              "span",
              { class: "chip" },
              t,
              page.canAnnotate
                ? h(
                    "button",
                    {
                      type: "button",
                      "aria-label": `Remove tag ${t}`,
                      onclick: () => save(tags.filter((x) => x !== t)),
                    },
                    "×",
                  )
                : null,
            ),
          ),
        )
      : h("span", { class: "muted small" }, "No tags."),
    page.canAnnotate ? input : null,
  );
}

const saveForm = document.getElementById("save-story-form");
if (saveForm)
  saveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const test = event.submitter ? event.submitter.value === "true" : false;
    const result = document.getElementById("save-story-result");
    clear(result);
    try {
      const story = await busy(event.submitter || saveForm.querySelector("button"), () =>
        api.post(`conversations/${id}/save-story/`, { name: saveForm.elements.name.value.trim(), test }),
      );
      clear(
        result,
        h(
          "p",
          { class: "notice", role: "status" },
          `Saved ${story.is_test ? "test story" : "story"} `,
          h("a", { href: `${page.base}stories/${story.id}/` }, story.name),
          ".",
        ),
        h(
          "pre",
          { class: "code small", style: "white-space:pre-wrap;max-height:240px;overflow:auto" },
          story.yaml,
        ),
      );
    } catch (err) {
      const details = ["unknown_intents", "unknown_actions"]
        .map((k) =>
          err.body[k] || (err.errors && err.errors[k])
            ? `${k.replace("_", " ")}: ${flatten(err.body[k] || err.errors[k])}`
            : "",
        )
        .filter(Boolean);
      clear(
        result,
        h(
          "p",
          { class: "error", role: "alert" },
          err.message,
          details.length ? h("br") : null,
          details.join("; "),
        ),
      );
    }
  });

async function start() {
  try {
    conversation = await api.get(`conversations/${id}/`);
    renderDetails();
  } catch (err) {
    clear(details, errorBox(err));
  }
  loadWindow(undefined);
}
start();
