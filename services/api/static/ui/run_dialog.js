// Run now for a report with parameters: a modal form with one labelled input per parameter,
// prefilled with its default; a 422 naming a parameter stays open with the message under it.

import { ApiError } from "./api.js";
import { field, h, setFieldError } from "./dom.js";
import { isList, parsedValue, typeHint, valueText } from "./parameter_values.js";

/** Resolves with what `start(values)` answered, or null when the person cancels. */
export function runWithParameters(declarations, start) {
  return new Promise((resolve) => {
    const inputs = declarations.map((declaration, index) => parameterInput(declaration, index));
    const problem = h("p", { class: "error", role: "alert", hidden: true });
    const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
    const submit = h("button", { type: "submit", class: "button" }, "Run");
    const form = h("form", { method: "dialog", novalidate: true },
      h("h2", { id: "run-dialog-title" }, "Run with these values"),
      declarations.map((declaration, index) => field(declaration.name, inputs[index], typeHint(declaration.type))),
      problem,
      h("div", { class: "actions" }, submit, cancel));
    const dialog = h("dialog", { class: "confirm run-dialog", "aria-labelledby": "run-dialog-title" }, form);
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(null));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      problem.hidden = true;
      inputs.forEach((input) => setFieldError(form, input.id, null));
      const values = {};
      declarations.forEach((declaration, index) => {
        const value = parsedValue(declaration.type, inputs[index].value);
        if (value !== null) values[declaration.name] = value;
      });
      try {
        close(await start(values));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        showProblems(form, problem, declarations, inputs, error);
      } finally {
        submit.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    inputs[0]?.focus();
  });
}

function parameterInput(declaration, index) {
  const id = `run-parameter-${index}`;
  const value = valueText(declaration.default);
  if (declaration.type === "boolean") {
    return h("select", { id }, ["", "true", "false"].map((option) =>
      h("option", { value: option, selected: option === value }, option || "(none)")));
  }
  const type = declaration.type === "date" ? "date" : "text";
  const numeric = !isList(declaration.type) && ["integer", "number"].includes(declaration.type);
  return h("input", { id, type, value, autocomplete: "off", inputmode: numeric ? "decimal" : null, class: "code" });
}

function showProblems(form, problem, declarations, inputs, error) {
  const parts = error.partsOf("parameters");
  const unplaced = [];
  for (const [name, message] of Object.entries(parts)) {
    const index = declarations.findIndex((declaration) => declaration.name === name);
    if (index >= 0) setFieldError(form, inputs[index].id, message);
    else unplaced.push(`${name}: ${message}`);
  }
  if (!Object.keys(parts).length) unplaced.push(error.message);
  if (unplaced.length) {
    problem.textContent = unplaced.join("; ");
    problem.hidden = false;
  }
  form.querySelector("[aria-invalid=true]")?.focus();
}
