// The API client: cookie sessions with CSRF (docs/accounts.md), nothing secret in script-readable storage.
//
// `POST /api/auth/cookie/` puts the access (1 h) and refresh (24 h) tokens into HttpOnly cookies. The client keeps
// only a hint in localStorage — who is logged in and when the tokens were last renewed — so that a reload knows
// whether to ask for the current user, and renews the session before the access cookie expires instead of
// collecting 401s. Tabs share the cookies, so renewals are serialised across tabs with the Web Locks API.

export type Query = Record<string, string | number | boolean | null | undefined>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** A 429's `Retry-After`, in seconds (see `retryAfter`); 0 otherwise. */
    readonly retryAfter = 0,
  ) {
    super(typeof body.detail === "string" ? body.detail : `HTTP ${status}`);
  }

  get code(): string {
    return typeof this.body.code === "string" ? this.body.code : "";
  }

  /** DRF's per-field messages (`{"username": ["..."]}`), first message per field. */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.body)) {
      if (Array.isArray(value) && typeof value[0] === "string") out[key] = value[0];
    }
    return out;
  }
}

/** The request could not be made: no connection, or the server unreachable (fetch's TypeError). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super("network error", { cause });
  }
}

// A 429 (the API's throttle, in production) says in `Retry-After` when to ask again: a number of seconds, or a
// date. Missing or unreadable, 1 s; never more than a minute (the throttles' longest window).
const RETRY_AFTER_DEFAULT_S = 1;
const RETRY_AFTER_MAX_S = 60;
/** How often a read (or the session's renewal) is asked again after a 429 before its error is shown. */
const READ_RETRIES = 5;

/** Seconds to wait before asking again, from a `Retry-After` header. */
export function retryAfter(header: string | null): number {
  const value = header?.trim() ?? "";
  const seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return RETRY_AFTER_DEFAULT_S;
  return Math.min(Math.max(Math.ceil(seconds), 1), RETRY_AFTER_MAX_S);
}

/** Resolves after `ms`; rejects when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", done);
      resolve();
    }, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

const SESSION_KEY = "messenger.session";
const RENEW_AFTER_MS = 40 * 60 * 1000; // the access cookie lives 60 minutes

interface SessionHint {
  user: string;
  renewedAt: number;
}

export const sessionHint = {
  read(): SessionHint | null {
    try {
      const value = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null");
      return value && typeof value.user === "string" ? value : null;
    } catch {
      return null;
    }
  },
  write(user: string): void {
    localStorage.setItem(SESSION_KEY, JSON.stringify({ user, renewedAt: Date.now() }));
  },
  clear(): void {
    localStorage.removeItem(SESSION_KEY);
  },
};

let csrfFromAnswer = "";
// Requests belong to a session: ending it (logout) aborts those in flight and refuses those still waiting, so
// none of them comes back as a 401 that would be taken for a session ended by the server.
let sessionRequests = new AbortController();
let anonymousLanguage = "en";
let onSessionLost: () => void = () => undefined;

/** The language anonymous requests ask for (`?lang=`); logged-in users get their saved `language`. */
export function setAnonymousLanguage(language: string): void {
  anonymousLanguage = language;
}

export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : csrfFromAnswer;
}

/** Abort every request of the session that is ending. */
export function endSessionRequests(): void {
  sessionRequests.abort();
  sessionRequests = new AbortController();
}

export function rememberCsrf(token: string | undefined): void {
  if (token) csrfFromAnswer = token;
}

/** `/api/<path>`, or a link the API gave (`next`/`previous`), reduced to this origin's path. */
function urlFor(path: string, query?: Query, anonymous = false): string {
  const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(`/api/${path}`, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  if (anonymous) url.searchParams.set("lang", anonymousLanguage);
  return url.pathname + url.search;
}

interface Options {
  query?: Query;
  body?: Record<string, unknown> | FormData;
  /** false: a request made without a session (login, registration). */
  auth?: boolean;
  signal?: AbortSignal;
  /** Called when the response's headers have arrived (performance marks). */
  onResponse?: () => void;
  headers?: Record<string, string>;
  /** How often a 429 is answered by asking again after its `Retry-After`: reads a few times, writes not unless
   *  the caller knows that the same request again is safe (idempotent, or carrying an `Idempotency-Key`). */
  retries?: number;
  /** Called with the seconds to wait before each of those retries. */
  onWait?: (seconds: number) => void;
}

async function send(method: string, path: string, options: Options): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  const signals = [sessionRequests.signal, ...(options.signal ? [options.signal] : [])];
  try {
    return await fetch(urlFor(path, options.query, options.auth === false), {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: AbortSignal.any(signals),
    });
  } catch (error) {
    // An abort (the session ended, a request given up) stays what it is.
    throw error instanceof TypeError ? new NetworkError(error) : error;
  }
}

async function parse(response: Response): Promise<Record<string, unknown>> {
  try {
    const value = await response.json();
    return value && typeof value === "object" ? value : { detail: String(value) };
  } catch {
    return { detail: response.statusText || `HTTP ${response.status}` };
  }
}

let renewal: Promise<boolean> | null = null;

/** Rotate the cookie session unless some tab did it after `since` (ms). True when the session is alive. */
export function renewSession(since = 0): Promise<boolean> {
  renewal ??= renew(since).finally(() => (renewal = null));
  return renewal;
}

async function renew(since: number): Promise<boolean> {
  const run = async (): Promise<boolean> => {
    const hint = sessionHint.read();
    if (!hint) return false;
    if (hint.renewedAt > since) return true;
    const refresh = () =>
      fetch("/api/auth/cookie/refresh/", {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
    let response = await refresh();
    // Throttled is not refused: the session is still alive, and the refresh is asked again (a rotation that a
    // 429 stopped did not happen).
    for (let left = READ_RETRIES; response.status === 429 && left > 0; left--) {
      await pause(retryAfter(response.headers.get("Retry-After")) * 1000, sessionRequests.signal);
      response = await refresh();
    }
    if (!response.ok) {
      sessionHint.clear();
      return false;
    }
    rememberCsrf(((await parse(response)) as { csrf_token?: string }).csrf_token);
    sessionHint.write(hint.user);
    return true;
  };
  return navigator.locks ? navigator.locks.request("messenger-session", run) : run();
}

/** Renew ahead of the access cookie's expiry, so that an idle tab's next request is not a 401. */
export async function keepSessionFresh(): Promise<boolean> {
  const hint = sessionHint.read();
  if (!hint) return false;
  if (Date.now() - hint.renewedAt < RENEW_AFTER_MS) return true;
  return renewSession(Date.now() - RENEW_AFTER_MS);
}

export async function api<T>(method: string, path: string, options: Options = {}): Promise<T> {
  const authenticated = options.auth !== false;
  const session = sessionRequests.signal;
  const attempt = async (): Promise<Response> => {
    if (authenticated) await keepSessionFresh();
    session.throwIfAborted();
    const sentAt = Date.now();
    let response = await send(method, path, options);
    if (response.status === 401 && authenticated) {
      session.throwIfAborted();
      if (await renewSession(sentAt)) response = await send(method, path, options);
      if (response.status === 401) {
        sessionHint.clear();
        onSessionLost();
      }
    }
    return response;
  };
  let response = await attempt();
  // A throttled request was not carried out: the same one again, after the wait the server asked for.
  for (
    let left = options.retries ?? (method === "GET" ? READ_RETRIES : 0);
    response.status === 429 && left > 0;
    left--
  ) {
    const seconds = retryAfter(response.headers.get("Retry-After"));
    options.onWait?.(seconds);
    await pause(seconds * 1000, AbortSignal.any([session, ...(options.signal ? [options.signal] : [])]));
    response = await attempt();
  }
  options.onResponse?.();
  if (!response.ok) {
    const wait = response.status === 429 ? retryAfter(response.headers.get("Retry-After")) : 0;
    throw new ApiError(response.status, await parse(response), wait);
  }
  if (response.status === 204 || method === "HEAD") return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) => api<T>("GET", path, { query, signal });
export const post = <T>(path: string, body?: Options["body"], query?: Query) => api<T>("POST", path, { body, query });
export const patch = <T>(path: string, body: Options["body"]) => api<T>("PATCH", path, { body });
export const del = (path: string) => api<void>("DELETE", path);
