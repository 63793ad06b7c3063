// Calls the JSON API with relative URLs, the session cookie and its CSRF token.

const CSRF_KEY = "reportflow.csrf";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let unauthenticatedHandler = () => {};

/** An answer that is not 2xx: `message` in words, `fields` maps a field name to its message. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(describeDetail(status, detail));
    this.status = status;
    this.fields = fieldMessages(detail);
    this.detail = detail;
  }

  /** Messages about the parts of one field, by the key under it: loc body.parameters.n → {n: …}. */
  partsOf(name) {
    const parts = {};
    for (const item of Array.isArray(this.detail) ? this.detail : []) {
      const [, field, part] = item.loc ?? [];
      if (field === name && part !== undefined && !(part in parts)) parts[part] = item.msg;
    }
    return parts;
  }
}

function describeDetail(status, detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => `${(item.loc ?? []).slice(1).join(".")}: ${item.msg}`).join("; ");
  }
  return status ? `the server answered ${status}` : "the server did not answer";
}

function fieldMessages(detail) {
  const fields = {};
  if (!Array.isArray(detail)) return fields;
  for (const item of detail) {
    const [, name, ...rest] = item.loc ?? [];
    if (typeof name === "string" && !(name in fields)) {
      fields[name] = rest.length ? `${item.msg} (item ${rest.join(".")})` : item.msg;
    }
  }
  return fields;
}

export function onUnauthenticated(handler) {
  unauthenticatedHandler = handler;
}

export const csrf = {
  get: () => localStorage.getItem(CSRF_KEY),
  set: (token) => localStorage.setItem(CSRF_KEY, token),
  clear: () => localStorage.removeItem(CSRF_KEY),
};

/** The answer's JSON body (null for 204) and headers; throws ApiError. */
export async function request(method, path, body = undefined) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrf.get()) headers["X-CSRF-Token"] = csrf.get();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (error) {
    throw new ApiError(0, `the server did not answer (${error.message})`);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== "api/auth/login") unauthenticatedHandler();
    throw new ApiError(response.status, data?.detail);
  }
  return { data, headers: response.headers };
}

export const get = async (path) => (await request("GET", path)).data;
export const post = async (path, body) => (await request("POST", path, body)).data;
export const put = async (path, body) => (await request("PUT", path, body)).data;
export const del = async (path) => (await request("DELETE", path)).data;

/** A path with its query string: query("api/x", {a: 1, b: null}) → "api/x?a=1". */
export function query(path, params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/** A path segment from an id the API gave. */
export const segment = (id) => encodeURIComponent(String(id));
