// The console's JSON API. Errors are thrown as ApiError with the server's kind and message.

export class ApiError extends Error {
  constructor(status, kind, message, details, body) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.details = details || [];
    this.body = body;
  }
}

// The session's CSRF token (from /api/session or /api/login), sent with every request that is not a GET.
let csrf = null;
export function setCsrf(token) { csrf = token || null; }

// Called when the server says a login is needed (the session ended).
let onLoginRequired = () => {};
export function whenLoginRequired(fn) { onLoginRequired = fn; }

export async function api(path, {method = 'GET', body} = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let response;
  try {
    response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    throw new ApiError(0, 'console_unreachable', `the console server is unreachable (${e.message})`);
  }
  let json = null;
  try { json = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const err = (json && json.error) || {};
    if (response.status === 401 && err.kind === 'login_required') onLoginRequired();
    throw new ApiError(response.status, err.kind || 'http_error',
      err.message || `HTTP ${response.status}`, err.details, json);
  }
  return json;
}

// A user-facing sentence for an error of a search call.
export function describe(err) {
  switch (err.kind) {
    case 'backend_unreachable': return `Search backend unreachable: ${err.message}`;
    case 'backend_auth': return err.message.charAt(0).toUpperCase() + err.message.slice(1);
    case 'bad_query': return `Bad query: ${err.message}`;
    case 'bad_request': return `Invalid input: ${err.message}`;
    case 'console_unreachable': return err.message;
    default: return err.message;
  }
}
