// A report parameter's value between the API's JSON and the text of an input: a list as
// "a, b, c", a boolean as true/false, numbers as their text (the API reads 64-bit integers
// from text without losing digits).

import { get } from "./api.js";

const FALLBACK_TYPES = ["text", "integer", "number", "date", "timestamp", "boolean"];
let typesAnswer = null;

/** The parameter types the API accepts, from its OpenAPI document. */
export function parameterTypes() {
  typesAnswer ??= get("openapi.json")
    .then((document) => document.components.schemas.ParameterDeclaration.properties.type.enum ?? FALLBACK_TYPES)
    .catch(() => FALLBACK_TYPES);
  return typesAnswer;
}

export const isList = (type) => String(type).endsWith("[]");

/** The text an input shows for `value` ("" for none). */
export function valueText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  return String(value);
}

/** The JSON value for the text of an input of `type`; null when empty. */
export function parsedValue(type, text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (isList(type)) {
    const itemType = type.slice(0, -2);
    return trimmed.split(",").map((item) => item.trim()).filter(Boolean).map((item) => scalar(itemType, item));
  }
  return scalar(type, trimmed);
}

function scalar(type, text) {
  if (type === "boolean") return { true: true, false: false }[text.toLowerCase()] ?? text;
  return text;
}

/** "comma-separated integers" and the like, for an input's hint. */
export function typeHint(type) {
  return isList(type) ? `${type.slice(0, -2)} values, separated by commas` : type;
}
