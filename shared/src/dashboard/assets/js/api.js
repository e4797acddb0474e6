// api.js: the account's API key (this tab's session storage only) and calls to this server's
// routes with it, as `Authorization: Bearer`; never in a URL.

const KEY_ITEM = 'booking-tracker.apiKey';

const session = {
  get() {
    try {
      return sessionStorage.getItem(KEY_ITEM);
    } catch (e) {
      return null;
    }
  },
  set(key) {
    try {
      sessionStorage.setItem(KEY_ITEM, key);
    } catch (e) {
      // Storage refused (private mode): the key lasts until the page is closed.
    }
    session.memory = key;
  },
  clear() {
    try {
      sessionStorage.removeItem(KEY_ITEM);
    } catch (e) {
      // Nothing stored.
    }
    session.memory = null;
  },
  memory: null,
  key() {
    return session.get() || session.memory;
  },
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** The key was refused: ask for it again. */
  get unauthorised() {
    return this.status === 401 || this.status === 403;
  }

  /** This server has no such route (an older deploy). */
  get missingRoute() {
    return this.status === 404 && this.code === 'not_found';
  }

  describe() {
    return this.status ? `${this.message} (${this.code}, HTTP ${this.status})` : this.message;
  }
}

/**
 * Calls a route of this server (a path relative to the page, so a stage prefix is kept) and
 * answers its JSON, or throws an ApiError with the server's code and message.
 */
async function api(path, params, body) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(name, value);
  }
  const url = query.toString() ? `${path}?${query}` : path;
  const headers = { Accept: 'application/json', Authorization: `Bearer ${session.key() || ''}` };
  const init = { method: 'GET', headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    init.method = 'POST';
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', `The server could not be reached (${e.message}).`);
  }
  let json = null;
  try {
    json = await response.json();
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    const error = (json && json.error) || {};
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || response.statusText || 'The request failed.',
    );
  }
  return json;
}

