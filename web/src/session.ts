// Logging in and out, and what happens around it: the API's cookie session, the user's language, realtime.
import {
  api,
  endSessionRequests,
  get,
  keepSessionFresh,
  patch,
  post,
  rememberCsrf,
  sessionHint,
  setAnonymousLanguage,
  setSessionLostHandler,
} from "./api";
import { i18n, isLanguage, setLanguage, type Language } from "./i18n";
import { onSocialEvent, startRealtime, stopRealtime } from "./realtime";
import { navigate } from "./router";
import { app, loadChats, resetState } from "./state";
import { createStore } from "./store";
import type { FriendRequest, Me, Page } from "./types";

export const session = createStore<{ status: "booting" | "anonymous" | "ready"; expired: boolean }>({
  status: "booting",
  expired: false,
});

let timers: ReturnType<typeof setInterval>[] = [];

function signedIn(me: Me): void {
  resetState(me);
  if (isLanguage(me.language)) setLanguage(me.language);
  session.set({ status: "ready", expired: false });
  startRealtime(me.id);
  void loadChats().catch(() => undefined);
  void loadIncomingRequests();
  timers.forEach(clearInterval);
  timers = [
    // Renew the cookie session ahead of its expiry even when the tab is idle.
    setInterval(() => void keepSessionFresh(), 5 * 60_000),
    // Online dots and previews of chats outside the first page age: refresh the list now and then.
    setInterval(() => {
      if (document.visibilityState === "visible") void loadChats().catch(() => undefined);
    }, 60_000),
  ];
}

function signedOut(expired: boolean): void {
  timers.forEach(clearInterval);
  timers = [];
  stopRealtime();
  endSessionRequests();
  resetState(null);
  // A session found ended stays "ended" (for the notice) until the next login, whoever notices it last.
  session.set({ status: "anonymous", expired: expired || session.get().expired });
  if (!/^\/(login|register)\/?$/.test(location.pathname)) navigate("/login", true);
}

export async function boot(): Promise<void> {
  // The Friends badge counts incoming requests, live.
  onSocialEvent((event) => {
    if (event.event === "friend_request") void loadIncomingRequests();
  });
  setAnonymousLanguage(i18n.get().lang);
  i18n.subscribe(() => setAnonymousLanguage(i18n.get().lang));
  setSessionLostHandler(() => signedOut(true));
  document.documentElement.lang = i18n.get().lang;
  // No hint, no session: do not ask the API (a 401 would be the first thing in the console).
  if (!sessionHint.read() || !(await keepSessionFresh())) return signedOut(false);
  try {
    signedIn(await get<Me>("user/current/"));
  } catch {
    signedOut(false);
  }
}

export async function login(username: string, password: string): Promise<void> {
  const answer = await api<{ user: Me; csrf_token: string }>("POST", "auth/cookie/", {
    body: { username, password },
    auth: false,
  });
  rememberCsrf(answer.csrf_token);
  sessionHint.write(answer.user.id);
  signedIn(answer.user);
}

export async function register(form: FormData): Promise<void> {
  form.set("language", i18n.get().lang);
  await api("POST", "register/", { body: form, auth: false });
  await login(String(form.get("username")), String(form.get("password")));
}

export async function logout(): Promise<void> {
  // Nothing of this session may ask the API any more (realtime tokens, loads): they would be 401s.
  stopRealtime();
  endSessionRequests();
  try {
    await post("auth/logout/");
  } finally {
    sessionHint.clear();
    signedOut(false);
  }
}

/** The UI language; a logged-in user's is saved in the profile, which also makes the API answer in it. */
export async function chooseLanguage(lang: Language): Promise<void> {
  setLanguage(lang);
  const me = app.get().me;
  if (me && me.language !== lang) app.set({ me: await patch<Me>(`user/${me.id}/`, { language: lang }) });
}

export async function loadIncomingRequests(): Promise<FriendRequest[]> {
  try {
    const page = await get<Page<FriendRequest>>("friends/requests/", { direction: "incoming", page_size: 100 });
    app.set({ incomingRequests: page.count });
    return page.results;
  } catch {
    return [];
  }
}
