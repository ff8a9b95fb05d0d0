// The chat list: latest activity first, with previews, unread badges, online dots and search (chats by title,
// and messages of every chat).
import { useEffect, useRef, useState } from "preact/hooks";
import { shortTime, t } from "../i18n";
import { follow } from "../router";
import { app, displayName, isMuted, loadMoreChats, searchChats, searchMessages, sortedChats } from "../state";
import { useStore } from "../store";
import type { Chat, Id, Message, Page, SearchHit, User } from "../types";
import { useTyping } from "../typing";
import { Avatar, MessageHit } from "./common";
import { MutedIcon, PlusIcon } from "./icons";
import { Mentions } from "./Mentions";
import { NewChatDialog } from "./NewChat";

export function preview(message: Message | null, me: Id | undefined): string {
  if (!message) return t("No messages yet");
  const author = message.sender.id === me ? `${t("You")}: ` : "";
  if (message.text) return author + message.text;
  if (message.voice) return author + t("Voice message");
  const images = message.files.filter((file) => isImage(file.item)).length;
  if (images && images === message.files.length) return author + t("Photo");
  return author + t("File");
}

export function isImage(url: string): boolean {
  return /\.(jpe?g|png|gif|webp)(\?|$)/i.test(url);
}

/** A private chat's other member (the API titles the chat after them). */
export function peer(chat: Chat, me: Id | undefined) {
  return chat.is_private ? (chat.members.find((member) => member.id !== me) ?? null) : null;
}

/** "Bob is typing…", or how many are, or nothing. */
export function typingText(users: User[]): string {
  if (!users.length) return "";
  if (users.length > 1) return t("{n} people are typing…", { n: users.length });
  return t("{name} is typing…", { name: displayName(users[0]) });
}

function ChatRow({ chat, current, me }: { chat: Chat; current: boolean; me: Id | undefined }) {
  const other = peer(chat, me);
  const unread = chat.unread_messages_count;
  const time = chat.last_message?.created_at ?? chat.created_at;
  const typing = typingText(useTyping(chat.id));
  return (
    <li>
      <a
        href={`/chat/${chat.id}`}
        onClick={follow}
        class={unread ? "chat-row unread" : "chat-row"}
        aria-current={current ? "page" : undefined}
        data-chat={chat.id}
      >
        <Avatar src={chat.avatar} name={chat.title} seed={other?.id ?? chat.id} size={48} online={other?.is_online} />
        <span class="chat-row-main">
          <span class="chat-row-top">
            <span class="chat-title">{chat.title}</span>
            {isMuted(chat) && (
              <span class="muted-icon" role="img" aria-label={t("Muted")}>
                <MutedIcon />
              </span>
            )}
            <time class="chat-time" dateTime={time}>
              {shortTime(time)}
            </time>
          </span>
          <span class="chat-row-bottom">
            <span class={typing ? "chat-preview typing" : "chat-preview"}>
              {typing || preview(chat.last_message, me)}
            </span>
            {!!chat.unread_mentions_count && (
              <span class="badge" aria-label={t("{n} unread mentions", { n: chat.unread_mentions_count })}>
                @
              </span>
            )}
            {unread > 0 && (
              <span class={isMuted(chat) ? "badge quiet" : "badge"} aria-label={t("{n} unread", { n: unread })}>
                {unread}
              </span>
            )}
          </span>
          {other?.is_online && <span class="visually-hidden">{t("online")}</span>}
        </span>
      </a>
    </li>
  );
}

/** How far back the message search looks (its `since`, from now): days, or null for any time. */
const PERIODS: [number | null, string][] = [
  [null, "Any time"],
  [1, "Past day"],
  [7, "Past week"],
  [30, "Past month"],
  [365, "Past year"],
];

function Toggle(props: { pressed: boolean; onChange: (pressed: boolean) => void; children: string }) {
  return (
    <button type="button" class="chip" aria-pressed={props.pressed} onClick={() => props.onChange(!props.pressed)}>
      {props.children}
    </button>
  );
}

export function ChatList({ openChat }: { openChat: Id | null }) {
  const chats = useStore(app, sortedChats);
  const me = useStore(app, (state) => state.me?.id);
  const loaded = useStore(app, (state) => state.chatsLoaded);
  const more = useStore(app, (state) => state.chatsNext !== null);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<Chat[] | null>(null);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [moreHits, setMoreHits] = useState<string | null>(null);
  const [inThisChat, setInThisChat] = useState(false);
  const [fromMe, setFromMe] = useState(false);
  const [days, setDays] = useState<number | null>(null);
  const [withFiles, setWithFiles] = useState(false);
  const [newest, setNewest] = useState(false);
  const filtered = (inThisChat && !!openChat) || fromMe || days !== null || withFiles || newest;
  // An answer to an earlier query or filters is dropped (the one asked last may come back first).
  const asked = useRef(0);
  const [creating, setCreating] = useState(false);
  const [mentions, setMentions] = useState(false);
  const sentinel = useRef<HTMLLIElement>(null);

  /** A page of hits, in place of those shown or after them ("Show more"), unless a later query was asked since. */
  const showHits = (ask: number, request: Promise<Page<SearchHit>>, after: boolean) =>
    request.then(
      (page) => {
        if (ask !== asked.current) return;
        setHits((shown) => [...(after ? (shown ?? []) : []), ...page.results]);
        setMoreHits(page.next);
      },
      () => ask === asked.current && !after && setHits([]),
    );

  // The server searches titles and the other member's names; loaded chats are filtered at once meanwhile.
  useEffect(() => {
    const search = query.trim();
    const ask = ++asked.current;
    setHits(null);
    setMoreHits(null);
    if (!search) return setFound(null);
    const timer = setTimeout(() => {
      searchChats(search).then(
        (chats) => ask === asked.current && setFound(chats),
        () => ask === asked.current && setFound([]),
      );
      // The API needs a letter or a digit (a 400 otherwise).
      if (!/[\p{L}\p{N}]/u.test(search)) return;
      const filters = {
        chat: inThisChat && openChat ? openChat : undefined,
        sender: fromMe ? me : undefined,
        since: days === null ? undefined : new Date(Date.now() - days * 24 * 3600 * 1000),
        withFiles,
        newest,
      };
      showHits(ask, searchMessages(search, filters), false);
    }, 250);
    return () => clearTimeout(timer);
  }, [query, inThisChat && openChat, fromMe, days, withFiles, newest]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) void loadMoreChats();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [more, query]);

  const search = query.trim().toLowerCase();
  let shown = chats;
  if (search) {
    const local = chats.filter((chat) => chat.title.toLowerCase().includes(search));
    const ids = new Set(local.map((chat) => chat.id));
    // Fresh state for found chats we already know; found ones we do not know yet as the server sent them.
    const state = app.get().chats;
    shown = [...local, ...(found ?? []).filter((chat) => !ids.has(chat.id)).map((chat) => state[chat.id] ?? chat)];
  }

  return (
    <aside class="sidebar" aria-label={t("Chats")}>
      <div class="sidebar-tools">
        <label class="visually-hidden" for="chat-search">
          {t("Search chats")}
        </label>
        <input
          id="chat-search"
          type="search"
          class="search"
          placeholder={t("Search chats")}
          value={query}
          onInput={(event) => {
            setQuery(event.currentTarget.value);
            setMentions(false);
          }}
        />
        <button
          type="button"
          class="icon-button mentions-toggle"
          aria-label={t("Mentions of me")}
          title={t("Mentions of me")}
          aria-pressed={mentions}
          onClick={() => setMentions(!mentions)}
        >
          <span aria-hidden="true">@</span>
        </button>
        <button
          type="button"
          class="icon-button primary"
          aria-label={t("New chat")}
          title={t("New chat")}
          onClick={() => setCreating(true)}
        >
          <PlusIcon />
        </button>
      </div>
      {mentions && <Mentions />}
      <ul class="chat-list" role="list" aria-label={t("Chats")} hidden={mentions}>
        {shown.map((chat) => (
          <ChatRow key={chat.id} chat={chat} current={chat.id === openChat} me={me} />
        ))}
        {!search && more && <li ref={sentinel} class="list-sentinel" aria-hidden="true" />}
      </ul>
      {loaded && !mentions && !shown.length && !hits?.length && (
        <p class="empty">{search ? t("Nothing found.") : t("No chats yet. Start one with the + button.")}</p>
      )}
      {search && !mentions && hits !== null && (hits.length > 0 || filtered) && (
        <section class="search-hits" aria-labelledby="hits-title">
          <h2 id="hits-title" class="list-heading">
            {t("Messages")}
          </h2>
          <div class="search-filters" role="group" aria-label={t("Search filters")}>
            {openChat && (
              <Toggle pressed={inThisChat} onChange={setInThisChat}>
                {t("In this chat")}
              </Toggle>
            )}
            <Toggle pressed={fromMe} onChange={setFromMe}>
              {t("From me")}
            </Toggle>
            <Toggle pressed={withFiles} onChange={setWithFiles}>
              {t("With files")}
            </Toggle>
            <Toggle pressed={newest} onChange={setNewest}>
              {t("Newest first")}
            </Toggle>
            <select
              class="chip"
              aria-label={t("When sent")}
              value={String(days ?? "")}
              onChange={(event) => setDays(Number(event.currentTarget.value) || null)}
            >
              {PERIODS.map(([value, label]) => (
                <option key={label} value={String(value ?? "")}>
                  {t(label)}
                </option>
              ))}
            </select>
          </div>
          {!hits.length && !!shown.length && <p class="empty">{t("No messages found.")}</p>}
          <ul role="list">
            {hits.map((hit) => (
              <li key={hit.message.id}>
                <MessageHit message={hit.message}>
                  {/* HTML-escaped by the API, with <mark> around the matches */}
                  <span dangerouslySetInnerHTML={{ __html: hit.snippet }} />
                </MessageHit>
              </li>
            ))}
          </ul>
          {moreHits && (
            <button
              type="button"
              class="button"
              onClick={() => void showHits(asked.current, searchMessages(query, {}, moreHits), true)}
            >
              {t("Show more")}
            </button>
          )}
        </section>
      )}
      {creating && <NewChatDialog onClose={() => setCreating(false)} />}
    </aside>
  );
}
