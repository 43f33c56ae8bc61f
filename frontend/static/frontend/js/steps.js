// A story's steps as readable lines (the stories editor, saved conversations).
import { h } from "./ui.js";

function entityChips(entities) {
  if (!entities || !entities.length) return null;
  return h(
    "span",
    { class: "chips", style: "display:inline-flex;margin-left:.4rem" },
    entities.map((e) => {
      if (typeof e === "string") return h("span", { class: "chip" }, e);
      if (e.entity)
        return h("span", { class: "chip" }, `${e.entity}${e.role ? `(${e.role})` : ""} = ${e.value ?? "…"}`);
      const [[name, value]] = Object.entries(e).length ? Object.entries(e) : [["?", ""]];
      return h("span", { class: "chip" }, `${name} = ${value}`);
    }),
  );
}

function describe(step) {
  switch (step.kind) {
    case "intent":
      return [h("span", { class: "user-step" }, step.name), entityChips(step.entities)];
    case "user":
      return [
        h("span", { class: "user-step" }, `“${step.text}”`),
        step.name ? h("span", { class: "muted" }, ` (${step.name})`) : null,
        entityChips(step.entities),
      ];
    case "action":
      return [h("code", {}, step.name)];
    case "bot":
      return [h("span", {}, `“${step.text || step.name}”`)];
    case "slot_was_set":
      return (step.slots || []).map((s) =>
        h(
          "span",
          { class: "chip" },
          s.has_value === false ? s.name : `${s.name} = ${JSON.stringify(s.value)}`,
        ),
      );
    case "active_loop":
      return [step.name ? h("code", {}, step.name) : h("span", { class: "muted" }, "(form ends)")];
    case "checkpoint":
      return [h("code", {}, step.name)];
    case "or":
      return [h("span", {}, (step.alternatives || []).map((a) => a.name || a.text || a.kind).join(" or "))];
    default:
      return [JSON.stringify(step)];
  }
}

const KIND_LABEL = {
  intent: "user",
  user: "user says",
  action: "bot does",
  bot: "bot says",
  slot_was_set: "slot set",
  active_loop: "form",
  checkpoint: "checkpoint",
  or: "user (any)",
};

export function stepItems(steps) {
  return steps.map((step) =>
    h(
      "li",
      {},
      h("span", { class: "kind" }, KIND_LABEL[step.kind] || step.kind),
      h("span", {}, describe(step)),
    ),
  );
}
