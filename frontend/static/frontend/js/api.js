// The REST API from the browser: session cookie + CSRF header, JSON in and out, errors thrown
// as ApiError carrying the API's error body ({code, message, errors?, problems?}).

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.code) || "error";
    this.errors = (body && body.errors) || {};
    this.body = body || {};
  }
}

const dataNode = document.getElementById("page-data");
/** What the server told this page: assistantId, role, canAnnotate, isAdmin, api, base. */
export const page = dataNode ? JSON.parse(dataNode.textContent) : {};

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export function query(params) {
  const pairs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? "?" + new URLSearchParams(pairs).toString() : "";
}

/** fetch() a URL (absolute path) with JSON; resolves to the parsed body (null for 204). */
export async function request(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, {
      code: "network",
      message: "The server cannot be reached; check your connection and retry.",
    });
  }
  const text = response.status === 204 ? "" : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 200) };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** The assistant's API: api.get("examples/", {intent: "greet"}), api.patch("examples/3/", {...}). */
export const api = {
  url: (path, params) => page.api + path + query(params),
  get: (path, params) => request(page.api + path + query(params)),
  post: (path, body) => request(page.api + path, { method: "POST", body: body || {} }),
  put: (path, body) => request(page.api + path, { method: "PUT", body }),
  patch: (path, body) => request(page.api + path, { method: "PATCH", body }),
  del: (path) => request(page.api + path, { method: "DELETE" }),
};

/** Every item of a paginated list (for pickers: intent names, entity names...). */
export async function all(path, params = {}) {
  const items = [];
  for (let number = 1; number < 50; number++) {
    const data = await api.get(path, { ...params, page: number, page_size: 500 });
    items.push(...data.results);
    if (!data.next) break;
  }
  return items;
}
