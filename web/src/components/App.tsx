// The shell: the auth screens without a session; with one, the navigation, the chat list and the page.
import { useEffect } from "preact/hooks";
import { t, useLanguage } from "../i18n";
import { chatIdFrom, follow, navigate, usePath } from "../router";
import { session } from "../session";
import { app, notices } from "../state";
import { useStore } from "../store";
import { AuthScreen } from "./Auth";
import { ChatList } from "./ChatList";
import { ChatView } from "./ChatView";
import { Feed } from "./Feed";
import { Friends } from "./Friends";
import { Profile } from "./Profile";

function ConnectionBanner() {
  const connection = useStore(app, (state) => state.connection);
  const wasConnected = useStore(app, (state) => state.wasConnected);
  if (connection === "connected") return null;
  return (
    <div class="connection-banner" role="status" data-connection={connection}>
      <span class="spinner" aria-hidden="true" />
      {wasConnected ? t("Reconnecting…") : t("Connecting…")}
    </div>
  );
}

/** What an action could not do now (throttled), for a few seconds. */
function Notice() {
  const notice = useStore(notices, (state) => state.notice);
  return notice ? (
    <div class="notice-banner" role="status">
      {notice}
    </div>
  ) : null;
}

function NavLink(props: { href: string; label: string; badge?: string; count?: number; current: boolean }) {
  return (
    <a href={props.href} onClick={follow} class="nav-link" aria-current={props.current ? "page" : undefined}>
      {props.label}
      {props.count ? (
        <span class="badge" aria-label={t(props.badge ?? "", { n: props.count })}>
          {props.count}
        </span>
      ) : null}
    </a>
  );
}

function Shell({ path }: { path: string }) {
  const lang = useLanguage();
  const incoming = useStore(app, (state) => state.incomingRequests);
  // The badge of chats that are not muted, as the API counts it (all of them, loaded or not).
  const unread = useStore(app, (state) => state.unread);
  const chatId = chatIdFrom(path);
  const section = path.startsWith("/feed")
    ? "feed"
    : path.startsWith("/friends")
      ? "friends"
      : path.startsWith("/profile")
        ? "profile"
        : "chats";
  useEffect(() => {
    if (section === "chats" && path !== "/" && !chatId) navigate("/", true);
  }, [path]);
  useEffect(() => {
    const titles = { chats: t("Chats"), feed: t("Feed"), friends: t("Friends"), profile: t("Profile") };
    const count = unread?.unread_messages ? `(${unread.unread_messages}) ` : "";
    document.title = `${count}${titles[section]} · Messenger`;
  }, [section, lang, unread?.unread_messages]);
  return (
    <div class={`shell section-${section}${chatId ? " has-chat" : ""}`}>
      <a class="skip-link" href="#main">
        {t("Skip to content")}
      </a>
      <header class="topbar">
        <span class="brand" aria-hidden="true">
          Messenger
        </span>
        <nav aria-label={t("Sections")} class="nav">
          <NavLink
            href="/"
            label={t("Chats")}
            badge="{n} unread chats"
            count={unread?.unread_chats ?? 0}
            current={section === "chats"}
          />
          <NavLink href="/feed" label={t("Feed")} current={section === "feed"} />
          <NavLink
            href="/friends"
            label={t("Friends")}
            badge="{n} friend requests"
            count={incoming}
            current={section === "friends"}
          />
          <NavLink href="/profile" label={t("Profile")} current={section === "profile"} />
        </nav>
      </header>
      <ConnectionBanner />
      <Notice />
      <div class="layout">
        {section === "chats" && <ChatList openChat={chatId} />}
        <main id="main" class="page" tabIndex={-1}>
          {section === "chats" &&
            (chatId ? (
              <ChatView key={chatId} chatId={chatId} />
            ) : (
              <div class="placeholder">
                <p>{t("Choose a chat or start a new one.")}</p>
              </div>
            ))}
          {section === "feed" && <Feed />}
          {section === "friends" && <Friends />}
          {section === "profile" && <Profile />}
        </main>
      </div>
    </div>
  );
}

export function App() {
  useLanguage();
  const status = useStore(session, (state) => state.status);
  const path = usePath();
  useEffect(() => {
    const auth = /^\/(login|register)\/?$/.test(path);
    if (status === "ready" && auth) navigate("/", true);
    if (status === "anonymous" && !auth) navigate("/login", true);
  }, [status, path]);
  if (status === "booting") {
    return (
      <div class="booting" role="status">
        {t("Loading…")}
      </div>
    );
  }
  return status === "anonymous" ? <AuthScreen path={path} /> : <Shell path={path} />;
}
