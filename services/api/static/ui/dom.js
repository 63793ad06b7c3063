// Builds the page from data. Text is only ever set as text (Node.append of a string,
// textContent) and attributes through setAttribute: user data never becomes markup.

const PROPERTIES = new Set(["value", "checked", "selected", "disabled", "required", "multiple"]);

/** An element: h("a", {href: "#/", class: "x"}, "text", child, [more children]). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  appendAll(element, children);
  return element;
}

/** Appends nodes and strings (as text); null, undefined and false are left out. */
export function appendAll(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Replaces the children of `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return appendAll(parent, children);
}

/** A table with a header row; `rows` are arrays of cells (nodes or text) or ready <tr>s. */
export function table(caption, headers, rows, className = "") {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: className },
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          row instanceof Node ? row : h("tr", {}, row.map((cell) => h("td", {}, cell))),
        ),
      ),
    ),
  );
}

/** A labelled form control with a place for its error, linked by aria-describedby. */
export function field(label, control, hint = null) {
  const id = control.id;
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  control.setAttribute(
    "aria-describedby",
    [hintNode ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" "),
  );
  return h("div", { class: "field", "data-field": id }, h("label", { for: id }, label), control, hintNode, error);
}

/** Shows `message` (or hides it when null) under the control with that id. */
export function setFieldError(form, id, message) {
  const error = form.querySelector(`#${CSS.escape(id)}-error`);
  const control = form.querySelector(`#${CSS.escape(id)}`);
  if (!error) return false;
  error.hidden = !message;
  error.textContent = message ?? "";
  control?.setAttribute("aria-invalid", message ? "true" : "false");
  return true;
}

/** Calls `fn` once `delay` ms passed without another call. */
export function debounce(fn, delay) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), delay);
  };
}
