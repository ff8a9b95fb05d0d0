// The messenger's state and every change to it: REST answers and realtime events go through the same merge
// functions, which are idempotent, so an event that arrives twice (a recovered publication, the answer to our own
// request) or late (after a fresher REST page) changes nothing.
import { ApiError, NetworkError, api, del, get, patch, post } from "./api";
import { t } from "./i18n";
import { createStore } from "./store";
import type { Chat, ChatEvent, Id, Me, Message, MessageEvent, Page, SearchHit, UnreadTotals, User } from "./types";

export const HISTORY_PAGE = 50;
const CHAT_PAGE = 50;

export interface Pending {
  /** Random, and sent as `Idempotency-Key`: a resend after a lost answer gets the message the first try made. */
  key: string;
  text: string;
  files: File[];
  voice: Blob | null;
  replyTo: Message | null;
  /** Why it was not sent; null while it waits its turn or is on its way. */
  error: string | null;
  /** It did not reach the server: the chat's later messages wait behind it (see `drainQueue`). */
  stalled: boolean;
  /** Throttled (429): when it is sent again (ms), the chat's later messages waiting behind it; null otherwise. */
  retryAt: number | null;
}

/** The loaded window of a chat's history, oldest first. Usually it reaches the newest message and grows with
 *  realtime events; after a jump into the past it is detached (`hasNewer`) until it is scrolled or jumped back. */
export interface History {
  items: Message[];
  hasOlder: boolean;
  hasNewer: boolean;
  loading: "initial" | "older" | "newer" | null;
  error: string | null;
  pending: Pending[];
  /** Bumped when a window is started (an answer for an earlier one is dropped). */
  window: number;
  /** Bumped when a window's first page is in (the view scrolls to `focus`, or to the bottom). */
  version: number;
  focus: Id | null;
}

export type Connection = "connecting" | "connected" | "disconnected";

/** Why a chat left the list: deleted, I am no longer a member (left, here or elsewhere, or removed), or the API
 *  refuses it (not mine, or no such chat). */
export type Gone = "deleted" | "left" | "unavailable";

export interface State {
  me: Me | null;
  chats: Record<Id, Chat>;
  chatsNext: string | null;
  chatsLoaded: boolean;
  histories: Record<Id, History>;
  openChat: Id | null;
  connection: Connection;
  /** Set once the first connection succeeded: later losses show "reconnecting". */
  wasConnected: boolean;
  incomingRequests: number;
  /** The badge: unread messages of chats that are not muted (`GET /api/chats/unread/`), null until loaded. */
  unread: UnreadTotals | null;
  /** Chats that went while this session had them (an open one says why instead of loading forever). */
  gone: Record<Id, Gone>;
}

const initial: State = {
  me: null,
  chats: {},
  chatsNext: null,
  chatsLoaded: false,
  histories: {},
  openChat: null,
  connection: "disconnected",
  wasConnected: false,
  incomingRequests: 0,
  unread: null,
  gone: {},
};

export const app = createStore<State>(initial);

export function resetState(me: Me | null): void {
  deleted.clear();
  app.set({ ...initial, me });
}

// ------------------------------------------------------------------------------------------------- ordering
/** Messages are ordered by creation time, then by id (time-ordered UUIDs). */
export function before(a: Message, b: Message): boolean {
  return a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id);
}

function lastActivity(chat: Chat): string {
  return chat.last_message?.created_at ?? chat.created_at;
}

let sortedFor: Record<Id, Chat> | null = null;
let sorted: Chat[] = [];

/** The chat list, latest activity first (memoised on the chats object). */
export function sortedChats(state: State): Chat[] {
  if (state.chats !== sortedFor) {
    sortedFor = state.chats;
    sorted = Object.values(state.chats).sort((a, b) => (lastActivity(a) < lastActivity(b) ? 1 : -1));
  }
  return sorted;
}

// ------------------------------------------------------------------------------------------------- merging
/** Ids of messages deleted in this session: a REST page fetched before the deletion cannot bring them back. */
const deleted = new Set<Id>();

/** Whether the message was deleted in this session (what holds a copy of it, like a selection, lets it go). */
export function wasDeleted(id: Id): boolean {
  return deleted.has(id);
}

/** The fresher of two copies of a message: the later edit, and the longer reader list (reads only add). */
function fresher(old: Message, incoming: Message): Message {
  const base = incoming.updated_at >= old.updated_at ? incoming : old;
  const readers = incoming.was_read_by.length >= old.was_read_by.length ? incoming.was_read_by : old.was_read_by;
  return base.was_read_by === readers ? base : { ...base, was_read_by: readers };
}

function mergeInto(items: Message[], incoming: Message[]): Message[] {
  const byId = new Map(items.map((message) => [message.id, message]));
  for (const message of incoming) {
    if (deleted.has(message.id)) continue;
    const old = byId.get(message.id);
    byId.set(message.id, old ? fresher(old, message) : message);
  }
  return [...byId.values()].sort((a, b) => (before(a, b) ? -1 : 1));
}

function emptyHistory(): History {
  return {
    items: [],
    hasOlder: false,
    hasNewer: false,
    loading: null,
    error: null,
    pending: [],
    window: 0,
    version: 0,
    focus: null,
  };
}

/** A cached history given up (it may have missed events): only what waits to be sent stays, in a window detached
 *  from the newest messages (`hasNewer`), so that nothing merges into it until the chat is opened and loaded. */
function forgotten(history: History): History | null {
  return history.pending.length ? { ...emptyHistory(), hasNewer: true, pending: history.pending } : null;
}

/** Change a chat's loaded history; only loads and sends create one (events for unopened chats change nothing). */
function updateHistory(chatId: Id, change: (history: History) => Partial<History>, create = false): void {
  app.set((state) => {
    const history = state.histories[chatId] ?? (create ? emptyHistory() : null);
    return history ? { histories: { ...state.histories, [chatId]: { ...history, ...change(history) } } } : {};
  });
}

function putChat(chat: Chat): void {
  app.set((state) => ({ chats: { ...state.chats, [chat.id]: chat } }));
}

// How many times each chat was changed here (by events: its last message, unread counts, ...; left or deleted;
// created). An answer about the chat whose request was on its way meanwhile may predate those changes, so it is
// not applied: the chat is asked again if it is still here, and one that went stays gone (a late answer that
// predated a leave put the chat back, and its big group's channel with it).
const chatChanges = new Map<Id, number>();

function markChanged(chatId: Id): void {
  chatChanges.set(chatId, (chatChanges.get(chatId) ?? 0) + 1);
}

/** The changes counted so far, to tell later which chats changed while a request was on its way. */
function changesNow(): (chatId: Id) => boolean {
  const then = new Map(chatChanges);
  return (chatId) => chatChanges.get(chatId) !== then.get(chatId);
}

function changeChat(chatId: Id, change: (chat: Chat) => Partial<Chat>): void {
  const chat = app.get().chats[chatId];
  if (!chat) return;
  markChanged(chatId);
  putChat({ ...chat, ...change(chat) });
}

/** A chat as a write here answered it (created, opened, renamed): newer than any answer to a request sent before. */
function putWrittenChat(chat: Chat): void {
  markChanged(chat.id);
  putChat(chat);
}

function dropChat(chatId: Id, why: Gone): void {
  markChanged(chatId);
  app.set((state) => {
    const chats = { ...state.chats };
    const histories = { ...state.histories };
    delete chats[chatId];
    delete histories[chatId];
    return { chats, histories, gone: { ...state.gone, [chatId]: why } };
  });
}

/** Add the readers of `message` to it and every earlier message of the chat: reading one reads all before it. */
function spreadReads(items: Message[], message: Message): Message[] {
  let changed = false;
  const result = items.map((item) => {
    if (before(message, item)) return item;
    const missing = message.was_read_by.filter(
      (reader) => reader.id !== item.sender.id && !item.was_read_by.some((known) => known.id === reader.id),
    );
    if (!missing.length) return item;
    changed = true;
    return { ...item, was_read_by: [...item.was_read_by, ...missing] };
  });
  return changed ? result : items;
}

// ------------------------------------------------------------------------------------------------- the gate
// What is sent between a REST answer and the personal channel's first subscription would reach neither: the first
// loads wait for the subscription (at most 3 s; if Centrifugo is unreachable they go ahead, and catch up when it
// subscribes at last).
let live: Promise<void> = Promise.resolve();
let liveState: "waiting" | "subscribed" | "timed out" = "subscribed";
let openGate: () => void = () => undefined;

export function awaitSubscription(): void {
  liveState = "waiting";
  live = new Promise((resolve) => (openGate = resolve));
  setTimeout(() => {
    if (liveState !== "waiting") return;
    liveState = "timed out";
    openGate();
  }, 3000);
}

/** The first subscription is there. True when the loads did not wait for it (a catch-up is due). */
export function subscriptionStarted(): boolean {
  const late = liveState === "timed out";
  liveState = "subscribed";
  openGate();
  return late;
}

// ------------------------------------------------------------------------------------------------- chats
export async function loadChats(): Promise<void> {
  await live;
  const changedSince = changesNow();
  const [page] = await Promise.all([
    get<Page<Chat>>("chats/", { page_size: CHAT_PAGE }),
    loadUnread().catch(() => undefined), // the badge is not worth failing the list for
  ]);
  const stale = new Set<Id>();
  app.set((state) => {
    // A complete first page is the whole truth (chats deleted while we were away disappear); otherwise merge.
    const chats: Record<Id, Chat> = page.next ? { ...state.chats } : {};
    for (const chat of page.results) {
      if (changedSince(chat.id)) stale.add(chat.id);
      else chats[chat.id] = chat;
    }
    // A chat changed here while the page was on its way (a mute, a message, a leave, made here) stays as it is
    // now, and one still here is asked again: the page may predate the change (an unmute undone made the next
    // message miss the badge; a leave undone put the chat back; a chat made meanwhile is not on it).
    for (const [chatId, chat] of Object.entries(state.chats)) {
      if (!changedSince(chatId)) continue;
      chats[chatId] = chat;
      if (!page.next) stale.add(chatId);
    }
    return { chats, chatsNext: page.next, chatsLoaded: true };
  });
  stale.forEach(refreshChatSoon);
}

export async function loadMoreChats(): Promise<void> {
  const next = app.get().chatsNext;
  if (!next) return;
  const changedSince = changesNow();
  const page = await get<Page<Chat>>(next);
  app.set((state) => {
    const chats = { ...state.chats };
    for (const chat of page.results) {
      // A chat already here is as fresh or fresher; one that went while the page was on its way stays gone.
      if (!changedSince(chat.id)) chats[chat.id] ??= chat;
    }
    return { chats, chatsNext: page.next };
  });
}

/** Messages that mention me, newest first (`GET /api/mentions/`): the first page, or the one a `next` link names. */
export async function loadMentions(next: string | null): Promise<Page<Message>> {
  return next ? get<Page<Message>>(next) : get<Page<Message>>("mentions/", { page_size: 20 });
}

export async function searchChats(search: string): Promise<Chat[]> {
  return (await get<Page<Chat>>("chats/", { search, page_size: CHAT_PAGE })).results;
}

/** The message search's filters (docs/api-chats.md, "Search"): one chat, one sender, a start time, messages with
 *  files, newest first. */
export interface SearchFilters {
  chat?: Id;
  sender?: Id;
  since?: Date;
  withFiles?: boolean;
  newest?: boolean;
}

/** A page of the messages of all my chats that match (`GET /api/messages/search/`), the best first; `next` is the
 *  link of a previous page's rest. */
export async function searchMessages(
  q: string,
  filters: SearchFilters = {},
  next: string | null = null,
): Promise<Page<SearchHit>> {
  if (next) return get<Page<SearchHit>>(next);
  const query = {
    q,
    page_size: 20,
    chat: filters.chat,
    sender: filters.sender,
    since: filters.since?.toISOString(),
    has_files: filters.withFiles ? "on" : undefined,
    order: filters.newest ? "recent" : undefined,
  };
  return get<Page<SearchHit>>("messages/search/", query);
}

export async function fetchChat(chatId: Id): Promise<Chat | null> {
  if (leaving.has(chatId)) return app.get().chats[chatId] ?? null;
  const changedSince = changesNow();
  try {
    const chat = await get<Chat>(`chat/${chatId}/`);
    if (changedSince(chatId)) {
      refreshChatSoon(chatId); // only if it is still here
      return app.get().chats[chatId] ?? null;
    }
    const previous = app.get().chats[chatId];
    putChat(chat);
    // This answer may be the first news of a message (its event, still on its way, then counts as a repeat and
    // adds nothing to the badge), or of a mute: the badge is asked again when what it counts changed.
    if (
      !previous ||
      previous.unread_messages_count !== chat.unread_messages_count ||
      isMuted(previous) !== isMuted(chat)
    ) {
      refreshUnreadSoon();
    }
    return chat;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
      dropChat(chatId, "unavailable");
      return null;
    }
    throw error;
  }
}

// Requests for the badge issued so far, and the count when a message last changed it here: an answer whose
// request was on its way when that happened may predate the message, so it is asked again instead of applied.
let unreadRequests = 0;
let unreadChangedDuring = 0;

async function loadUnread(): Promise<void> {
  const request = ++unreadRequests;
  const unread = await get<UnreadTotals>("chats/unread/");
  if (request !== unreadRequests) return; // a later request is on its way: its answer is the fresher one
  if (unreadChangedDuring === request) return refreshUnreadSoon();
  app.set({ unread });
}

let unreadRefresh: ReturnType<typeof setTimeout> | undefined;

/** Refetch the badge soon (a chat event may have changed it), once. */
function refreshUnreadSoon(): void {
  clearTimeout(unreadRefresh);
  unreadRefresh = setTimeout(() => void loadUnread().catch(() => undefined), 150);
}

/** When a chat's timed mute ends (ms); never (Infinity) for a mute until unmuted, or no mute. */
function muteEnd(chat: Chat): number {
  return chat.is_muted && chat.muted_until ? new Date(chat.muted_until).getTime() : Infinity;
}

export function isMuted(chat: Chat): boolean {
  return !!chat.is_muted && muteEnd(chat) > Date.now();
}

// A mute that ends changes the chat and the badge with nothing said by the server: a timer at the next end shows
// the chat as the server now answers it (not muted) and asks for the badge again.
const LONGEST_TIMER = 2 ** 31 - 1; // ms: setTimeout fires at once for longer delays
let muteTimer: ReturnType<typeof setTimeout> | undefined;
let muteTimerAt = Infinity;

function scheduleMuteEnd(): void {
  const next = Math.min(Infinity, ...Object.values(app.get().chats).map(muteEnd));
  if (next === muteTimerAt) return;
  clearTimeout(muteTimer);
  muteTimerAt = next;
  if (next !== Infinity) muteTimer = setTimeout(endMutes, Math.min(Math.max(0, next - Date.now()), LONGEST_TIMER));
}

function endMutes(): void {
  muteTimerAt = Infinity;
  const now = Date.now();
  const ended = Object.values(app.get().chats).filter((chat) => muteEnd(chat) <= now);
  for (const chat of ended) changeChat(chat.id, () => ({ is_muted: false, muted_until: null }));
  if (ended.length) refreshUnreadSoon();
  scheduleMuteEnd(); // the next one (or, past the longest timer, this one again)
}

app.subscribe(scheduleMuteEnd);

/** Mute a chat for me until then (null: until I unmute it), or unmute it (`false`). */
export async function muteChat(chatId: Id, until: Date | null | false): Promise<void> {
  const path = `chat/${chatId}/mute/`;
  const chat =
    until === false
      ? await api<Chat>("DELETE", path)
      : await post<Chat>(path, { until: until ? until.toISOString() : null });
  // Only what this answer is the news of: its counts may predate a read answered meanwhile.
  changeChat(chatId, () => ({ is_muted: chat.is_muted, muted_until: chat.muted_until }));
}

const chatRefreshes = new Map<Id, ReturnType<typeof setTimeout>>();

/** Refetch a chat soon (its unread count or last message changed in a way events do not carry), once. */
function refreshChatSoon(chatId: Id): void {
  clearTimeout(chatRefreshes.get(chatId));
  chatRefreshes.set(
    chatId,
    setTimeout(() => {
      chatRefreshes.delete(chatId);
      if (app.get().chats[chatId]) fetchChat(chatId).catch(() => undefined);
    }, 150),
  );
}

export async function openPrivateChat(user: Id): Promise<Chat> {
  const chat = await post<Chat>("chats/", { is_private: true, members: [user] }, { fallback: "on" });
  putWrittenChat(chat);
  return chat;
}

export async function createGroup(title: string, members: Id[], avatar: File | null): Promise<Chat> {
  const form = new FormData();
  form.append("is_private", "false");
  form.append("title", title);
  for (const member of members) form.append("members", member);
  if (avatar) form.append("avatar", avatar);
  const chat = await post<Chat>("chats/", form);
  putWrittenChat(chat);
  return chat;
}

export async function updateGroup(chatId: Id, change: { title?: string; avatar?: File }): Promise<void> {
  const form = new FormData();
  if (change.title !== undefined) form.append("title", change.title);
  if (change.avatar) form.append("avatar", change.avatar);
  putWrittenChat(await patch<Chat>(`chat/${chatId}/`, form));
}

/** A page of a chat's members in join order (a big group's `members` is empty: docs/api-chats.md). */
export async function membersPage(chatId: Id, next: string | null): Promise<Page<User>> {
  return get<Page<User>>(next ?? `chat/${chatId}/members/`, next ? undefined : { page_size: 50 });
}

/** A big group's members matching what follows "@", best first (the server ranks them as `mentionChoices` does). */
export async function searchMembers(chatId: Id, search: string, count: number): Promise<User[]> {
  return (await get<Page<User>>(`chat/${chatId}/members/`, { search, page_size: count })).results;
}

export async function addMembers(chatId: Id, members: Id[]): Promise<void> {
  putWrittenChat(await post<Chat>(`chat/${chatId}/members/`, { members }));
}

export async function removeMember(chatId: Id, user: Id): Promise<void> {
  await del(`chat/${chatId}/members/${user}/`);
  await fetchChat(chatId);
}

// Chats I am leaving or deleting: from the moment I ask, nothing more is asked about them (a read mark or a refetch
// due meanwhile would reach the server after the leave, and be refused).
const leaving = new Set<Id>();

async function goFrom(chatId: Id, request: () => Promise<unknown>, why: Gone): Promise<void> {
  leaving.add(chatId);
  try {
    await request();
    dropChat(chatId, why);
  } finally {
    leaving.delete(chatId);
  }
}

export async function leaveChat(chatId: Id): Promise<void> {
  await goFrom(chatId, () => post(`chat/${chatId}/leave/`), "left");
}

export async function deleteChat(chatId: Id): Promise<void> {
  await goFrom(chatId, () => del(`chat/${chatId}/`), "deleted");
}

/** Members who joined start with the history read, members who left read nothing any more: the loaded
 *  messages' `was_read_by` follows (docs/realtime.md, "What a client does with them"). */
function membersChanged(chatId: Id, joined: User[], left: Id[]): void {
  if (!joined.length && !left.length) return;
  const gone = new Set(left);
  updateHistory(chatId, (history) => ({
    items: history.items.map((message) => {
      const readers = message.was_read_by.filter((reader) => !gone.has(reader.id));
      const known = new Set(readers.map((reader) => reader.id));
      const added = joined.filter((user) => user.id !== message.sender.id && !known.has(user.id));
      return readers.length === message.was_read_by.length && !added.length
        ? message
        : { ...message, was_read_by: [...readers, ...added] };
    }),
  }));
}

export function applyChatEvent(event: ChatEvent): void {
  const me = app.get().me?.id ?? "";
  const chatId = event.chat.id;
  switch (event.event) {
    case "typing":
      return; // ephemeral: the chat itself did not change
    case "unread":
      // My badge after my own read, mute or unmute (on any device). Each event's totals are as its write saw
      // them: of a read and a mute done at once, the later event may miss the other's change, so the totals
      // are refetched after the last one too.
      if (event.totals) app.set({ unread: event.totals });
      refreshUnreadSoon();
      return refreshChatSoon(chatId);
  }
  refreshUnreadSoon();
  const removed = [...(event.members_removed ?? []), ...(event.event === "member_left" ? (event.users ?? []) : [])];
  // Never fetch a chat we are no longer in: that would be a 403 (and an error in the console).
  if (event.event === "chat_delete") return dropChat(chatId, "deleted");
  if (removed.includes(me)) return dropChat(chatId, "left");
  const added = new Set([
    ...(event.members_added ?? []),
    ...(event.event === "member_joined" ? (event.users ?? []) : []),
  ]);
  fetchChat(chatId).then(
    (chat) =>
      chat &&
      membersChanged(
        chatId,
        chat.members.filter((member) => added.has(member.id)),
        removed,
      ),
    () => undefined,
  );
}

// ------------------------------------------------------------------------------------------------- history
function markResponse(chatId: Id): () => void {
  return () => performance.mark("history:response", { detail: chatId });
}

/** Start a new window (what was loaded stays until the new one's first page arrives, so events still merge into
 *  it); answers for the previous window are dropped from now on. */
function newWindow(chatId: Id, change: Partial<History>): number {
  updateHistory(chatId, (history) => ({ ...change, window: history.window + 1 }), true);
  return app.get().histories[chatId].window;
}

/** Apply an answer only to the window it was asked for. */
function updateWindow(chatId: Id, window: number, change: (history: History) => Partial<History>): void {
  updateHistory(chatId, (history) => (history.window === window ? change(history) : {}));
}

/** The ids loaded now: what a page asked for from here on may lack is only what arrives while it is on its way
 *  (realtime events, my own sends), and those must survive its answer, however late it comes. */
function loadedIds(chatId: Id): Set<Id> {
  return new Set(app.get().histories[chatId]?.items.map((message) => message.id));
}

function windowIs(chatId: Id, window: number): boolean {
  return app.get().histories[chatId]?.window === window;
}

/** The newest page (replacing the window): opening a chat, or jumping back from the past. */
export async function loadNewest(chatId: Id): Promise<void> {
  // Not detached any more: messages created while the page is on its way are merged as they arrive.
  const window = newWindow(chatId, { loading: "initial", error: null, hasNewer: false });
  try {
    await live;
    const known = loadedIds(chatId);
    const page = await api<Page<Message>>("GET", "messages/", {
      query: { chat: chatId, page_size: HISTORY_PAGE },
      onResponse: markResponse(chatId),
    });
    updateWindow(chatId, window, (history) => ({
      // The page replaces the window, except for messages that arrived while it was on its way.
      items: mergeInto(
        history.items.filter((message) => !known.has(message.id)),
        page.results,
      ),
      hasOlder: page.next !== null,
      hasNewer: false,
      loading: null,
      version: history.version + 1,
      focus: null,
    }));
  } catch (error) {
    updateWindow(chatId, window, () => ({ loading: null, error: errorText(error) }));
    if (error instanceof ApiError && error.status === 403) dropChat(chatId, "unavailable");
  }
}

export function openHistory(chatId: Id): void {
  const history = app.get().histories[chatId];
  if (!history || (!history.items.length && !history.loading)) void loadNewest(chatId);
}

export async function loadOlder(chatId: Id): Promise<void> {
  const history = app.get().histories[chatId];
  if (!history || history.loading || !history.hasOlder || !history.items.length) return;
  const window = history.window;
  updateHistory(chatId, () => ({ loading: "older" }));
  try {
    const page = await get<Page<Message>>("messages/", {
      chat: chatId,
      before: history.items[0].id,
      page_size: HISTORY_PAGE,
    });
    updateWindow(chatId, window, (current) => ({
      items: mergeInto(current.items, page.results),
      hasOlder: page.next !== null,
      loading: null,
    }));
  } catch (error) {
    updateWindow(chatId, window, () => ({ loading: null }));
    // The cursor was deleted meanwhile (404): start again from the newest page.
    if (error instanceof ApiError && error.status === 404 && windowIs(chatId, window)) await loadNewest(chatId);
  }
}

/** Follow `after` cursors from the newest loaded message (with `all`, up to the newest one), while the window is
 *  the same. True when it reached the newest message. */
async function fetchNewer(chatId: Id, window: number, all: boolean): Promise<boolean> {
  for (let round = 0; round < (all ? 20 : 1); round++) {
    const last = app.get().histories[chatId]?.items.at(-1);
    if (!last || !windowIs(chatId, window)) return false;
    const page = await get<Page<Message>>("messages/", { chat: chatId, after: last.id, page_size: HISTORY_PAGE });
    if (!windowIs(chatId, window)) return false;
    updateHistory(chatId, (current) => ({
      items: mergeInto(current.items, page.results),
      hasNewer: page.previous !== null,
    }));
    if (page.previous === null) return true;
  }
  return false;
}

export async function loadNewer(chatId: Id): Promise<void> {
  const history = app.get().histories[chatId];
  if (!history || history.loading || !history.hasNewer) return;
  const window = history.window;
  updateHistory(chatId, () => ({ loading: "newer" }));
  try {
    await fetchNewer(chatId, window, false);
    updateWindow(chatId, window, () => ({ loading: null }));
  } catch {
    if (windowIs(chatId, window)) await loadNewest(chatId);
  }
}

/** Show a message that may not be loaded (a replied-to one): the window around it. */
export async function showMessage(chatId: Id, messageId: Id): Promise<void> {
  const history = app.get().histories[chatId];
  if (history?.items.some((message) => message.id === messageId)) {
    updateHistory(chatId, (current) => ({ version: current.version + 1, focus: messageId }));
    return;
  }
  const window = newWindow(chatId, { loading: "initial" });
  try {
    const half = HISTORY_PAGE / 2;
    const known = loadedIds(chatId);
    const [message, older, newer] = await Promise.all([
      get<Message>(`message/${messageId}/`),
      get<Page<Message>>("messages/", { chat: chatId, before: messageId, page_size: half }),
      get<Page<Message>>("messages/", { chat: chatId, after: messageId, page_size: half }),
    ]);
    const around = [...older.results, message, ...newer.results];
    const reachesNewest = newer.previous === null;
    updateWindow(chatId, window, (current) => ({
      // A window that reaches the newest message keeps what arrived while it was on its way.
      items: mergeInto(reachesNewest ? current.items.filter((item) => !known.has(item.id)) : [], around),
      hasOlder: older.next !== null,
      hasNewer: !reachesNewest,
      loading: null,
      version: current.version + 1,
      focus: messageId,
    }));
  } catch {
    updateWindow(chatId, window, () => ({ loading: null }));
  }
}

/** After events were lost (a reconnect Centrifugo could not recover): the open chat gets the messages it missed
 *  through `after` cursors (no gap, no duplicate) and a fresh newest page (edits, deletions and reads of what is
 *  on screen); other cached histories are dropped and load again when opened. */
export async function catchUp(): Promise<void> {
  const { openChat, histories } = app.get();
  const kept: Record<Id, History> = {};
  for (const [chatId, history] of Object.entries(histories)) {
    const keep = chatId === openChat ? history : forgotten(history);
    if (keep) kept[chatId] = keep;
  }
  app.set({ histories: kept });
  await loadChats();
  if (openChat) await catchUpOpenChat(openChat);
}

/** The same for one chat whose own channel (a big group's) missed events, or just subscribed: the chat is
 *  refetched (its last message and unread count), its history caught up when open, dropped otherwise. */
export async function catchUpChat(chatId: Id): Promise<void> {
  if (app.get().openChat !== chatId) {
    app.set((state) => {
      const histories = { ...state.histories };
      const keep = histories[chatId] && forgotten(histories[chatId]);
      if (keep) histories[chatId] = keep;
      else delete histories[chatId];
      return { histories };
    });
  }
  if ((await fetchChat(chatId)) && app.get().openChat === chatId) await catchUpOpenChat(chatId);
}

async function catchUpOpenChat(openChat: Id): Promise<void> {
  const history = app.get().histories[openChat];
  if (!history || history.hasNewer) return;
  // Not loaded yet, or loading: a new first page, asked for now (an answer on its way may predate the events).
  if (!history.items.length) return loadNewest(openChat);
  const window = history.window;
  try {
    if (!(await fetchNewer(openChat, window, true))) {
      if (windowIs(openChat, window)) await loadNewest(openChat);
      return;
    }
    const known = loadedIds(openChat);
    const page = await get<Page<Message>>("messages/", { chat: openChat, page_size: HISTORY_PAGE });
    const fresh = new Set(page.results.map((message) => message.id));
    const oldest = page.results.at(-1);
    updateWindow(openChat, window, (current) => ({
      // What was loaded before the page was asked for and lies within its range but is not in it was deleted
      // meanwhile; what arrived while it was on its way stays.
      items: mergeInto(
        current.items.filter(
          (message) =>
            !known.has(message.id) || fresh.has(message.id) || (oldest !== undefined && before(message, oldest)),
        ),
        page.results,
      ),
    }));
    performance.mark("history:caught-up", { detail: openChat }); // for tests: the catch-up is applied
  } catch {
    if (windowIs(openChat, window)) await loadNewest(openChat);
  }
}

// ------------------------------------------------------------------------------------------------- messages
/** The pending item a message of mine stands for (the one on its way): its event can arrive before the answer to
 *  the POST. */
function sentAs(pending: Pending, message: Message): boolean {
  return (
    pending.error === null &&
    (pending.text || null) === message.text &&
    pending.files.length === message.files.length &&
    !!pending.voice === !!message.voice
  );
}

function onCreate(message: Message): void {
  if (deleted.has(message.id)) return;
  const state = app.get();
  const history = state.histories[message.chat];
  const mine = message.sender.id === state.me?.id;
  if (history && !history.hasNewer) {
    updateHistory(message.chat, (current) => {
      const fresh = mine && !current.items.some((item) => item.id === message.id);
      const index = fresh
        ? current.pending.findIndex((item) => item.key === sending.get(message.chat) && sentAs(item, message))
        : -1;
      return {
        items: mergeInto(current.items, [message]),
        pending: index < 0 ? current.pending : current.pending.filter((_, i) => i !== index),
      };
    });
  }
  const chat = state.chats[message.chat];
  if (!chat) {
    fetchChat(message.chat).catch(() => undefined);
    if (!mine) refreshUnreadSoon();
    return;
  }
  // Only a message newer than the chat's last one moves the preview and the unread counts (a repeated or
  // recovered event does not).
  if (chat.last_message && !before(chat.last_message, message)) return;
  const me = state.me?.id ?? "";
  changeChat(chat.id, (current) => ({
    last_message: message,
    unread_messages_count: mine ? current.unread_messages_count : current.unread_messages_count + 1,
    unread_mentions_count: (current.unread_mentions_count ?? 0) + (message.mentions?.includes(me) ? 1 : 0),
  }));
  const unread = state.unread;
  if (!mine && unread && !isMuted(chat)) {
    unreadChangedDuring = unreadRequests;
    app.set({
      unread: {
        unread_messages: unread.unread_messages + 1,
        unread_chats: unread.unread_chats + (chat.unread_messages_count ? 0 : 1),
      },
    });
    // Shown at once, then asked: the figures added to may be an earlier event's, taken before a read or an unmute
    // of mine committed (a CI run once showed 2 chats with unread messages where there was 1).
    refreshUnreadSoon();
  }
}

/** Replies quote the replied-to message as it is now. */
function requote(item: Message, message: Message, gone: boolean): Message {
  if (item.reply_to?.id !== message.id) return item;
  return { ...item, reply_to: gone ? null : { ...item.reply_to, text: message.text, voice: message.voice } };
}

function onUpdate(message: Message): void {
  updateHistory(message.chat, (history) => ({
    items: history.items.map((item) =>
      item.id === message.id ? fresher(item, message) : requote(item, message, false),
    ),
  }));
  changeChat(message.chat, (chat) => ({
    ...(chat.last_message?.id === message.id ? { last_message: fresher(chat.last_message, message) } : {}),
    ...pinChange(chat, message),
  }));
}

/** The chat's latest pin after an update of `message`: it, when pinned later than the latest; the previous pin
 *  (refetched) when it was the latest and is unpinned. */
function pinChange(chat: Chat, message: Message): Partial<Chat> {
  const latest = chat.pinned_message;
  if (message.pinned_at && (!latest?.pinned_at || latest.pinned_at <= message.pinned_at)) {
    return { pinned_message: message };
  }
  if (latest?.id === message.id) refreshChatSoon(chat.id);
  return {};
}

function onDelete(message: Message): void {
  deleted.add(message.id);
  updateHistory(message.chat, (history) => ({
    items: history.items.filter((item) => item.id !== message.id).map((item) => requote(item, message, true)),
  }));
  const chat = app.get().chats[message.chat];
  if (
    chat &&
    (chat.last_message?.id === message.id || chat.pinned_message?.id === message.id || chat.unread_messages_count > 0)
  ) {
    refreshChatSoon(chat.id);
  }
  if (chat?.unread_messages_count) refreshUnreadSoon();
}

function onRead(message: Message): void {
  const me = app.get().me?.id;
  // Only messages of the loaded window change: the read one may be outside it (a window in the past).
  // A read is news of readers only: the copy it carries may predate a reaction or a pin answered meanwhile.
  updateHistory(message.chat, (history) => ({ items: spreadReads(history.items, message) }));
  changeChat(message.chat, (chat) => {
    const last = chat.last_message;
    return last ? { last_message: spreadReads([last], message)[0] } : {};
  });
  if (message.sender.id !== me && message.was_read_by.some((reader) => reader.id === me)) {
    refreshChatSoon(message.chat);
  }
}

function onReadAll(chatId: Id, userId: Id, ids: Id[]): void {
  const state = app.get();
  const chat = state.chats[chatId];
  const reader: User | undefined =
    chat?.members.find((member) => member.id === userId) ?? (state.me?.id === userId ? state.me : undefined);
  if (reader) {
    const read = new Set(ids);
    const mark = (message: Message): Message =>
      read.has(message.id) && !message.was_read_by.some((known) => known.id === userId)
        ? { ...message, was_read_by: [...message.was_read_by, reader] }
        : message;
    updateHistory(chatId, (history) => ({ items: history.items.map(mark) }));
    changeChat(chatId, (current) => (current.last_message ? { last_message: mark(current.last_message) } : {}));
  }
  if (userId === state.me?.id) changeChat(chatId, () => ({ unread_messages_count: 0, unread_mentions_count: 0 }));
}

export function applyMessageEvent(event: MessageEvent): void {
  switch (event.event) {
    case "create":
      return onCreate(event.message);
    case "update":
      return onUpdate(event.message);
    case "delete":
      return onDelete(event.message);
    case "read":
      return onRead(event.message);
    case "read_all":
      return onReadAll(event.message.chat, event.message.user, event.message.messages);
  }
}

export function voiceFileName(blob: Blob): string {
  if (blob.type.includes("ogg")) return "voice.ogg";
  if (blob.type.includes("mp4")) return "voice.m4a";
  return "voice.webm";
}

// A chat's messages are sent one at a time, in the order Send was pressed: each is a request of its own and the
// server orders them by arrival, so a photo still uploading was overtaken by the text sent after it. Their
// "sending…" bubbles show at once, in that order. A message the server refuses (4xx: a file too big, ...) keeps
// its reason with Retry and Dismiss, and the ones after it go on (a retry sends it after them). One that did not
// reach the server (no connection, a 5xx) stalls the queue: the ones after it wait behind it, as they would only
// fail too, until it is retried or dismissed; the connection coming back sends it again by itself. One the server
// throttled (429) was not carried out: it says how long it waits, the ones after it wait behind it, and it is sent
// again after `Retry-After` with the same `Idempotency-Key`, as often as it takes.

/** The key of the message of each chat whose request is on its way. */
const sending = new Map<Id, string>();

function nextToSend(history: History): Pending | null {
  for (const pending of history.pending) {
    if (pending.stalled) return null;
    if (pending.error === null) return pending;
  }
  return null;
}

function sendForm(chatId: Id, pending: Pending): FormData {
  const form = new FormData();
  form.append("chat", chatId);
  if (pending.text) form.append("text", pending.text);
  for (const file of pending.files) form.append("files", file, file.name);
  if (pending.voice) form.append("voice", pending.voice, voiceFileName(pending.voice));
  if (pending.replyTo) form.append("reply_to", pending.replyTo.id);
  return form;
}

function changePending(chatId: Id, key: string, change: Partial<Pending>): void {
  updateHistory(chatId, (history) => ({
    pending: history.pending.map((item) => (item.key === key ? { ...item, ...change } : item)),
  }));
}

/** Send a chat's waiting messages, oldest first, one request at a time (unless that is under way already). */
async function drainQueue(chatId: Id): Promise<void> {
  if (sending.has(chatId)) return;
  for (;;) {
    const history = app.get().histories[chatId];
    const pending = history && nextToSend(history);
    if (!pending) return;
    sending.set(chatId, pending.key);
    try {
      const message = await api<Message>("POST", "messages/", {
        body: sendForm(chatId, pending),
        headers: { "Idempotency-Key": pending.key },
        retries: Infinity,
        onWait: (seconds) => changePending(chatId, pending.key, { retryAt: Date.now() + seconds * 1000 }),
      });
      onCreate(message);
      removePending(chatId, pending.key);
    } catch (error) {
      const refused = error instanceof ApiError && error.status < 500;
      changePending(chatId, pending.key, {
        error: refused ? errorText(error) : t("Not sent"),
        stalled: !refused,
        retryAt: null,
      });
    } finally {
      sending.delete(chatId);
    }
  }
}

/** 32 random hex digits (`crypto.randomUUID` exists on secure origins only; a LAN address over http is not). */
function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function sendMessage(
  chatId: Id,
  draft: { text: string; files: File[]; voice: Blob | null; replyTo: Message | null },
): void {
  const pending: Pending = { key: randomKey(), ...draft, error: null, stalled: false, retryAt: null };
  updateHistory(chatId, (history) => ({ pending: [...history.pending, pending] }), true);
  void drainQueue(chatId);
}

/** Send a message that was not sent again: a refused one after those waiting now; a stalled one where it is,
 *  with those behind it. */
export function retryPending(chatId: Id, key: string): void {
  updateHistory(chatId, (history) => {
    const pending = history.pending.find((item) => item.key === key);
    if (!pending) return {};
    const again = { ...pending, error: null, stalled: false };
    const others = history.pending.filter((item) => item.key !== key);
    return {
      pending: pending.stalled ? history.pending.map((item) => (item.key === key ? again : item)) : [...others, again],
    };
  });
  void drainQueue(chatId);
}

/** The connection is back (Centrifugo connected again): what did not reach the server is sent again, in order;
 *  what the server refused is not. */
export function resendStalled(): void {
  for (const [chatId, history] of Object.entries(app.get().histories)) {
    const stalled = history.pending.find((pending) => pending.stalled);
    if (stalled) retryPending(chatId, stalled.key);
  }
}

function removePending(chatId: Id, key: string): void {
  updateHistory(chatId, (history) => ({ pending: history.pending.filter((item) => item.key !== key) }));
}

/** Give up a message that was not sent (one stalling the queue lets the rest go on). */
export function dismissPending(chatId: Id, key: string): void {
  removePending(chatId, key);
  void drainQueue(chatId);
}

// A write the API throttled (429) was not carried out. One that comes to the same however often it is made
// (an edit to a text, a deletion, a pin, a read mark) is asked once more after `Retry-After`; a toggle (a reaction)
// is not, as the person would not know which way it went: they are told to try again shortly (`errorText`).

export async function editMessage(message: Message, text: string): Promise<void> {
  onUpdate(await api<Message>("PATCH", `message/${message.id}/`, { body: { text }, retries: 1 }));
}

export async function deleteMessage(message: Message): Promise<void> {
  await api("DELETE", `message/${message.id}/`, { retries: 1 });
  onDelete(message);
}

/** Add my reaction with `emoji`, or take it back. */
export async function toggleReaction(message: Message, emoji: string): Promise<void> {
  onUpdate(await post<Message>(`message/${message.id}/reactions/`, { emoji }));
}

/** Forward messages to a chat of mine: copies sent by me. A send, so a throttled one waits and is sent again
 *  (`onWait` tells for how long). */
export async function forwardMessages(chatId: Id, messages: Id[], onWait?: (seconds: number) => void): Promise<void> {
  const body = { chat: chatId, messages };
  const copies = await api<Message[]>("POST", "messages/forward/", { body, retries: Infinity, onWait });
  for (const copy of copies) onCreate(copy);
}

/** Pin a message in its chat, or unpin it. */
export async function setPinned(message: Message, pinned: boolean): Promise<void> {
  onUpdate(await api<Message>(pinned ? "POST" : "DELETE", `message/${message.id}/pin/`, { retries: 1 }));
}

/** Mark a message (and so every earlier one) read by me: not in a chat that went, or that I am leaving. */
export async function markRead(message: Message): Promise<void> {
  if (leaving.has(message.chat) || !app.get().chats[message.chat]) return;
  onRead(await api<Message>("POST", `message/${message.id}/read/`, { retries: 1 }));
}

/** A short notice atop the page (`notifyThrottled`): what an action of the person could not do now. */
export const notices = createStore<{ notice: string | null }>({ notice: null });
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

/** Tell the person that an action of theirs was throttled (other failures of it stay silent, as before). */
export function notifyThrottled(error: unknown): void {
  if (!(error instanceof ApiError && error.status === 429)) return;
  clearTimeout(noticeTimer);
  notices.set({ notice: errorText(error) });
  noticeTimer = setTimeout(() => notices.set({ notice: null }), 5000);
}

// ------------------------------------------------------------------------------------------------- helpers
export function errorText(error: unknown): string {
  if (error instanceof NetworkError) return t("No connection to the server.");
  if (error instanceof ApiError && error.status === 429) {
    return t("Too many requests at once. Try again in {n} s.", { n: error.retryAfter });
  }
  if (error instanceof ApiError) {
    const fields = Object.values(error.fields());
    return fields.length ? fields.join(" ") : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function displayName(user: Pick<User, "first_name" | "last_name" | "username">): string {
  return `${user.first_name} ${user.last_name}`.trim() || user.username;
}
