// The report form's parameter declarations: one row each (name, type, default), added and
// removed by buttons; a 422 on `parameters` shows under the group.

import { h } from "./dom.js";
import { parameterTypes, parsedValue, valueText } from "./parameter_values.js";

/** The fieldset and a function that reads the declarations as the API takes them. */
export async function parameterEditor(declarations) {
  const types = await parameterTypes();
  const rows = h("div", { class: "parameter-rows" });
  const error = h("p", { class: "field-error", id: "parameters-error", hidden: true });
  let counter = 0;
  const renumber = () => rows.querySelectorAll("legend").forEach((legend, index) => { legend.textContent = `Parameter ${index + 1}`; });
  const addRow = (declaration = { name: "", type: "text", default: null }) => {
    counter += 1;
    const id = `parameter-${counter}`;
    const control = (suffix, label, node) => h("div", { class: "field" }, h("label", { for: `${id}-${suffix}` }, label), node);
    const row = h("fieldset", { class: "parameter" },
      h("legend", {}, "Parameter"),
      h("div", { class: "row three" },
        control("name", "Parameter name", h("input", { id: `${id}-name`, class: "code parameter-name", maxlength: 63, autocomplete: "off", value: declaration.name, pattern: "[A-Za-z_][A-Za-z0-9_]*" })),
        control("type", "Type", h("select", { id: `${id}-type`, class: "parameter-type" },
          types.map((type) => h("option", { value: type, selected: type === declaration.type }, type)))),
        control("default", "Default", h("input", { id: `${id}-default`, class: "parameter-default", autocomplete: "off", value: valueText(declaration.default), "aria-describedby": "parameters-error" }))),
      h("button", { type: "button", class: "button secondary small", onclick: () => { row.remove(); renumber(); } }, "Remove parameter"));
    rows.append(row);
    renumber();
    return row;
  };
  for (const declaration of declarations) addRow(declaration);
  const group = h("fieldset", { class: "parameters", id: "parameters", "aria-describedby": "parameters-error" },
    h("legend", {}, "Parameters"),
    h("p", { class: "hint" }, "Values the SQL reads as {{ name }}. Without a default, Run now asks for one (a scheduled report needs defaults)."),
    rows,
    error,
    h("button", { type: "button", class: "button secondary small", id: "add-parameter", onclick: () => addRow().querySelector("input").focus() }, "Add parameter"));
  return { node: group, read: () => readDeclarations(rows) };
}

function readDeclarations(rows) {
  return [...rows.querySelectorAll("fieldset.parameter")]
    .map((row) => ({
      name: row.querySelector(".parameter-name").value.trim(),
      type: row.querySelector(".parameter-type").value,
      text: row.querySelector(".parameter-default").value,
    }))
    .filter((row) => row.name || row.text.trim())
    .map((row) => ({ name: row.name, type: row.type, default: parsedValue(row.type, row.text) }));
}
