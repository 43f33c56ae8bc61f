// "Check the data": the assistant's validation report (the same checks as an import), shown
// under the header with each problem's file and line.
import { api } from "./api.js";
import { h, clear, errorBox } from "./ui.js";

const button = document.getElementById("validate-button");
const report = document.getElementById("validate-report");

async function validate() {
  report.hidden = false;
  clear(report, h("div", { class: "loading" }, "Checking the training data…"));
  button.disabled = true;
  try {
    const data = await api.get("validate/");
    const errors = data.problems.filter((p) => p.severity === "error");
    const warnings = data.problems.filter((p) => p.severity !== "error");
    const summary = data.valid
      ? h(
          "p",
          { class: "notice", role: "status" },
          warnings.length
            ? `No error; ${warnings.length} warning${warnings.length > 1 ? "s" : ""}.`
            : "No problem found: the data is ready to train.",
        )
      : h(
          "p",
          { class: "error", role: "alert" },
          `${errors.length} error${errors.length > 1 ? "s" : ""} to fix before training${warnings.length ? `, and ${warnings.length} warnings` : ""}.`,
        );
    clear(
      report,
      h(
        "div",
        { class: "card", style: "margin-bottom:1rem" },
        h(
          "div",
          { class: "actions", style: "margin:0 0 .5rem" },
          h("strong", {}, "Data check"),
          h("span", { class: "spacer" }),
          h(
            "button",
            {
              class: "link",
              onclick: () => {
                report.hidden = true;
              },
            },
            "Close",
          ),
        ),
        summary,
        data.problems.length
          ? h(
              "ul",
              { class: "problems" },
              data.problems
                .slice(0, 100)
                .map((p) =>
                  h(
                    "li",
                    { class: p.severity === "error" ? "" : "warning", style: "cursor:default" },
                    h("strong", {}, p.file ? `${p.file}${p.line ? `:${p.line}` : ""} ` : ""),
                    p.message,
                    p.suggestion ? h("span", { class: "muted" }, ` (did you mean ${p.suggestion}?)`) : null,
                  ),
                ),
            )
          : null,
      ),
    );
  } catch (err) {
    clear(report, errorBox(err));
  } finally {
    button.disabled = false;
  }
}

if (button) button.addEventListener("click", validate);
