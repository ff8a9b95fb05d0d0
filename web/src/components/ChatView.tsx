// An open chat: its header, the message log (older pages load as it is scrolled up, newer ones when a window in
// the past is scrolled down; a button jumps to the newest), messages marked read as they become visible, and the
// composer. Files can be dropped anywhere on it.
import { Fragment } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { dayLabel, t } from "../i18n";
import { follow } from "../router";
import {
  app,
  deleteMessage,
  dismissPending,
  displayName,
  fetchChat,
  type Gone,
  type History,
  loadNewer,
  loadNewest,
  loadOlder,
  markRead,
  notifyThrottled,
  openHistory,
  type Pending,
  retryPending,
  setPinned,
  showMessage,
  toggleReaction,
  wasDeleted,
} from "../state";
import { useStore } from "../store";
import type { Chat, Me, Message } from "../types";
import { useTyping } from "../typing";
import { peer, preview, typingText } from "./ChatList";
import { ChatInfoDialog } from "./ChatInfo";
import { Avatar, Confirm, RetryCountdown } from "./common";
import { Composer } from "./Composer";
import { ForwardDialog } from "./Forward";
import { BackIcon, DownIcon, InfoIcon } from "./icons";
import { type MessageActions, MessageItem } from "./Message";

/** The API forwards at most this many messages at once (`MESSAGE_MAX_FORWARD`). */
const MESSAGE_MAX_FORWARD = 100;

function isUnreadForMe(message: Message, me: string): boolean {
  return message.sender.id !== me && !message.was_read_by.some((reader) => reader.id === me);
}

function PendingItem({ chatId, pending }: { chatId: string; pending: Pending }) {
  const parts = [
    pending.text,
    pending.voice ? t("Voice message") : "",
    pending.files.map((file) => file.name).join(", "),
  ];
  return (
    <li class="message mine pending" data-pending={pending.key}>
      <div class="bubble">
        <p class="text">{parts.filter(Boolean).join(" · ")}</p>
        <footer class="meta">
          {pending.error ? (
            <span class="error" role="alert">
              {pending.error}{" "}
              <button type="button" class="link-button" onClick={() => retryPending(chatId, pending.key)}>
                {t("Retry")}
              </button>{" "}
              <button type="button" class="link-button" onClick={() => dismissPending(chatId, pending.key)}>
                {t("Dismiss")}
              </button>
            </span>
          ) : pending.retryAt ? (
            <RetryCountdown at={pending.retryAt} />
          ) : (
            <span>{t("Sending…")}</span>
          )}
        </footer>
      </div>
    </li>
  );
}

function useReadMarking(log: { current: HTMLElement | null }, items: Message[], me: string) {
  const requested = useRef(new Set<string>());
  const candidate = useRef<Message | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const index = useMemo(() => new Map(items.map((message, i) => [message.id, i])), [items]);
  useEffect(() => {
    const root = log.current;
    if (!root) return;
    const flush = () => {
      const message = candidate.current;
      candidate.current = null;
      if (!message || requested.current.has(message.id) || document.visibilityState !== "visible") return;
      requested.current.add(message.id);
      markRead(message).catch(() => requested.current.delete(message.id));
    };
    // Reading a message reads everything before it: one request for the newest unread message in view.
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          const position = index.get((entry.target as HTMLElement).dataset.id ?? "");
          if (position === undefined) continue;
          const message = items[position];
          if (!isUnreadForMe(message, me)) continue;
          const current = candidate.current ? index.get(candidate.current.id) : -1;
          if (current === undefined || position > current) candidate.current = message;
        }
        clearTimeout(timer.current);
        timer.current = setTimeout(flush, 150);
      },
      { root, threshold: 0.5 },
    );
    root.querySelectorAll("[data-unread]").forEach((node) => observer.observe(node));
    const onVisible = () => {
      if (document.visibilityState === "visible") {
        observer.disconnect();
        root.querySelectorAll("[data-unread]").forEach((node) => observer.observe(node));
      }
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      observer.disconnect();
      document.removeEventListener("visibilitychange", onVisible);
      clearTimeout(timer.current);
    };
  }, [items, me]);
}

/** At the bottom of the log, give or take a few pixels (less than a message). */
function nearBottom(log: HTMLElement): boolean {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function useSentinel(
  root: { current: HTMLElement | null },
  target: { current: HTMLElement | null },
  active: boolean,
  load: () => void,
) {
  useEffect(() => {
    if (!active || !root.current || !target.current) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) load();
      },
      { root: root.current, rootMargin: "600px 0px" },
    );
    observer.observe(target.current);
    return () => observer.disconnect();
  });
}

function MessageLog(props: {
  chat: Chat;
  history: History;
  me: Me;
  actions: MessageActions;
  selection: Message[] | null;
}) {
  const { chat, history, me } = props;
  const log = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLLIElement>(null);
  const bottom = useRef<HTMLLIElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [unseen, setUnseen] = useState(0);
  const items = history.items;
  const first = items[0]?.id;
  const chosen = new Set(props.selection?.map((message) => message.id));
  const full = chosen.size >= MESSAGE_MAX_FORWARD;
  // While selecting: a check box on every message, none left to check once the forward's limit is reached.
  const selectedState = (message: Message) =>
    props.selection ? chosen.has(message.id) || (full ? null : false) : undefined;

  // Scroll keeping: measure before the DOM changes (during render), correct after it (layout effect). Any change
  // of the messages counts, not only a new last one: a message can arrive after a later one (the server orders by
  // creation, events come in the order they were delivered) and land above the last.
  const previous = useRef({ items, pending: history.pending.length, hasNewer: history.hasNewer, version: -1 });
  const measured = useRef<{ height: number; top: number; atBottom: boolean } | null>(null);
  // Whether the view follows the newest message: it was at the bottom when last scrolled (by the person or here).
  const stuck = useRef(true);
  const node = log.current;
  if (node && (previous.current.items !== items || previous.current.pending !== history.pending.length)) {
    measured.current = { height: node.scrollHeight, top: node.scrollTop, atBottom: nearBottom(node) };
  }
  useLayoutEffect(() => {
    const element = log.current;
    if (!element) return;
    const before = previous.current;
    const measure = measured.current;
    if (history.version !== before.version) {
      const focus = history.focus && element.querySelector<HTMLElement>(`#message-${history.focus}`);
      if (focus) {
        focus.scrollIntoView({ block: "center" });
        focus.classList.add("flash");
        setTimeout(() => focus.classList.remove("flash"), 1600);
      } else element.scrollTop = element.scrollHeight;
      stuck.current = nearBottom(element);
      if (items.length && !history.focus) {
        // How long the newest page took to show after its response arrived (the 300 ms budget's measure).
        requestAnimationFrame(() =>
          setTimeout(() => {
            performance.mark("history:shown", { detail: chat.id });
            try {
              performance.measure("history:open", "history:response", "history:shown");
            } catch {
              // no response mark: the history came from the cache
            }
          }),
        );
      }
    } else if (measure) {
      const last = items.at(-1)?.id;
      const prepended = first !== before.items[0]?.id && last === before.items.at(-1)?.id;
      const known = new Set(before.items.map((message) => message.id));
      // New messages, not a newer page of a window in the past.
      const arrived = before.hasNewer ? 0 : items.filter((message) => !known.has(message.id)).length;
      const sentByMe = history.pending.length > before.pending;
      if (prepended) {
        element.scrollTop = measure.top + (element.scrollHeight - measure.height);
        stuck.current = nearBottom(element);
      } else if (measure.atBottom || sentByMe) {
        element.scrollTop = element.scrollHeight;
        stuck.current = true;
      } else if (arrived) {
        setUnseen((count) => count + arrived);
        setAtBottom(false);
        stuck.current = false;
      }
    }
    previous.current = { items, pending: history.pending.length, hasNewer: history.hasNewer, version: history.version };
    measured.current = null;
  });

  // What grows or shrinks with no new message (a reaction, an edit, the composer's reply bar taking room): a view
  // at the bottom stays there, any other shows the jump button (no scroll event says it is not at the bottom).
  useEffect(() => {
    const element = log.current;
    const list = element?.firstElementChild;
    if (!element || !list) return;
    const observer = new ResizeObserver(() => {
      if (stuck.current) element.scrollTop = element.scrollHeight;
      else setAtBottom(nearBottom(element));
    });
    observer.observe(element);
    observer.observe(list);
    return () => observer.disconnect();
  }, []);

  useSentinel(log, top, history.hasOlder && !history.loading, () => void loadOlder(chat.id));
  useSentinel(log, bottom, history.hasNewer && !history.loading, () => void loadNewer(chat.id));
  useReadMarking(log, items, me.id);

  const onScroll = () => {
    const element = log.current;
    if (!element) return;
    const near = nearBottom(element);
    stuck.current = near;
    setAtBottom(near);
    if (near) setUnseen(0);
  };

  const jump = () => {
    setUnseen(0);
    if (history.hasNewer) void loadNewest(chat.id);
    else log.current?.scrollTo({ top: log.current.scrollHeight });
  };

  let day = "";
  return (
    <div class="log-wrap">
      <div
        class="log"
        ref={log}
        role="log"
        aria-label={t("Messages")}
        aria-busy={history.loading ? "true" : "false"}
        tabIndex={0}
        onScroll={onScroll}
      >
        <ol class="messages">
          <li ref={top} class="log-edge" role="none">
            {history.loading === "older" || history.loading === "initial"
              ? t("Loading…")
              : !history.hasOlder && items.length
                ? t("This is the beginning of the conversation.")
                : ""}
          </li>
          {items.map((message, i) => {
            const label = dayLabel(message.created_at);
            const separator = label !== day;
            day = label;
            const mine = message.sender.id === me.id;
            const previousSender = items[i - 1]?.sender.id;
            return (
              <Fragment key={message.id}>
                {separator && (
                  <li class="day-separator" role="none">
                    <span>{label}</span>
                  </li>
                )}
                <MessageItem
                  message={message}
                  mine={mine}
                  unread={isUnreadForMe(message, me.id)}
                  showSender={!chat.is_private && !mine && (separator || previousSender !== message.sender.id)}
                  selected={selectedState(message)}
                  actions={props.actions}
                />
              </Fragment>
            );
          })}
          {history.pending.map((pending) => (
            <PendingItem key={pending.key} chatId={chat.id} pending={pending} />
          ))}
          <li ref={bottom} class="log-edge" role="none">
            {history.loading === "newer" ? t("Loading…") : ""}
          </li>
        </ol>
        {!items.length && !history.loading && !history.pending.length && (
          <p class="empty">{history.error ?? t("No messages yet. Say hello!")}</p>
        )}
      </div>
      {(!atBottom || history.hasNewer) && (
        <button type="button" class="jump" onClick={jump} aria-label={t("Jump to the newest message")}>
          <DownIcon />
          {unseen > 0 && <span class="badge">{unseen}</span>}
        </button>
      )}
    </div>
  );
}

function lastSeen(chat: Chat, me: string): string {
  const other = peer(chat, me);
  if (other) return other.is_online ? t("online") : t("offline");
  return t("{n} members", { n: chat.members_count ?? chat.members.length });
}

/** Where an open chat was, once it is gone (or never was mine): why, and the way back to the list. */
function GoneChat({ why }: { why: Gone }) {
  const text = {
    deleted: t("This chat was deleted."),
    left: t("You are no longer a member of this chat."),
    unavailable: t("This chat is not available."),
  }[why];
  return (
    <div class="placeholder">
      <p>{text}</p>
      <a href="/" onClick={follow}>
        {t("Back to chats")}
      </a>
    </div>
  );
}

export function ChatView({ chatId }: { chatId: string }) {
  const chat = useStore(app, (state) => state.chats[chatId]);
  const gone = useStore(app, (state) => state.gone[chatId]);
  const history = useStore(app, (state) => state.histories[chatId]);
  const me = useStore(app, (state) => state.me)!;
  const [reply, setReply] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [removing, setRemoving] = useState<Message | null>(null);
  const [forwarding, setForwarding] = useState<Message[] | null>(null);
  // Messages selected to forward together, in the order they were picked (null: not selecting).
  const [selection, setSelection] = useState<Message[] | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const [info, setInfo] = useState(false);
  const [missing, setMissing] = useState(false);
  // A chat that was here and went without a known reason (a fresh chat list without it): not available.
  const seen = useRef(false);
  if (chat) seen.current = true;
  const typing = typingText(useTyping(chatId));
  const canPin = !!chat && (chat.is_private || chat.creator?.id === me.id);

  useEffect(() => {
    app.set({ openChat: chatId });
    if (!app.get().chats[chatId])
      fetchChat(chatId).then(
        (found) => setMissing(!found),
        () => setMissing(true),
      );
    openHistory(chatId);
    return () => app.set({ openChat: null });
  }, [chatId]);
  // Back after it went (added to the group again while it was open): its history went with it.
  useEffect(() => {
    if (chat) openHistory(chatId);
  }, [!!chat]);

  const actions = useMemo<MessageActions>(
    () => ({
      reply: (message) => {
        setEditing(null);
        setReply(message);
      },
      edit: (message) => {
        setReply(null);
        setEditing(message);
      },
      remove: setRemoving,
      forward: (message) => setForwarding([message]),
      select: (message) =>
        setSelection((chosen) => {
          const others = (chosen ?? []).filter((item) => item.id !== message.id);
          if (others.length < (chosen ?? []).length) return others.length ? others : null;
          return others.length < MESSAGE_MAX_FORWARD ? [...others, message] : chosen;
        }),
      showQuoted: (messageId) => void showMessage(chatId, messageId),
      pin: canPin ? (message, pinned) => void setPinned(message, pinned).catch(notifyThrottled) : null,
      react: (message, emoji) => void toggleReaction(message, emoji).catch(notifyThrottled),
      userName: (id) => {
        const member = app.get().chats[chatId]?.members.find((user) => user.id === id);
        return member ? displayName(member) : null;
      },
    }),
    [chatId, canPin],
  );

  useEffect(() => setSelection(null), [chatId]);
  // A message deleted meanwhile (by its sender, elsewhere) leaves the selection, and what is about to be forwarded:
  // forwarding it would be refused, and with it the rest.
  useEffect(() => {
    const live = (chosen: Message[] | null) => {
      const kept = chosen?.filter((message) => !wasDeleted(message.id));
      return kept?.length === chosen?.length ? chosen : kept?.length ? kept : null;
    };
    setSelection(live);
    setForwarding(live);
  }, [history]);
  // A layout effect: Escape works from the moment the selection bar is painted.
  useLayoutEffect(() => {
    if (!selection) return;
    const cancel = (event: KeyboardEvent) => {
      if (event.key === "Escape" && !forwarding) setSelection(null);
    };
    document.addEventListener("keydown", cancel);
    return () => document.removeEventListener("keydown", cancel);
  }, [!!selection, !!forwarding]);

  if (!chat) {
    if (gone || missing || seen.current) return <GoneChat why={gone ?? "unavailable"} />;
    return <div class="placeholder">{t("Loading…")}</div>;
  }
  const editLast = () => {
    const own = history?.items.filter((message) => message.sender.id === me.id && message.text !== null).at(-1);
    if (own) actions.edit(own);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = [...(event.dataTransfer?.files ?? [])];
    if (dropped.length) setFiles([...files, ...dropped]);
  };
  const other = peer(chat, me.id);
  return (
    <section
      class={dragging ? "chat dragging" : "chat"}
      aria-label={chat.title}
      onDragOver={(event) => {
        if (event.dataTransfer?.types.includes("Files")) {
          event.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header class="chat-header">
        <a href="/" onClick={follow} class="icon-button back" aria-label={t("Back to chats")}>
          <BackIcon />
        </a>
        <Avatar src={chat.avatar} name={chat.title} seed={other?.id ?? chat.id} size={40} online={other?.is_online} />
        <div class="chat-header-text">
          <h1 class="chat-header-title">{chat.title}</h1>
          <p class={typing ? "muted typing" : "muted"}>{typing || lastSeen(chat, me.id)}</p>
        </div>
        <button
          type="button"
          class="icon-button"
          aria-label={chat.is_private ? t("About this chat") : t("Group settings")}
          onClick={() => setInfo(true)}
        >
          <InfoIcon />
        </button>
      </header>
      {chat.pinned_message && (
        <button
          type="button"
          class="pinned-bar"
          onClick={() => chat.pinned_message && void showMessage(chat.id, chat.pinned_message.id)}
        >
          <span class="pinned-title">{t("Pinned message")}</span>
          <span class="pinned-text">{preview(chat.pinned_message, undefined)}</span>
        </button>
      )}
      {history && <MessageLog chat={chat} history={history} me={me} actions={actions} selection={selection} />}
      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          {t("Drop files to attach them")}
        </div>
      )}
      {selection && (
        <div class="composer selection-bar" role="toolbar" aria-label={t("Selected messages")}>
          <span class="selection-count">{t("{n} selected", { n: selection.length })}</span>
          <button type="button" class="button" onClick={() => setSelection(null)}>
            {t("Cancel")}
          </button>
          <button type="button" class="button primary" onClick={() => setForwarding(selection)}>
            {t("Forward")}
          </button>
        </div>
      )}
      {/* Hidden, not unmounted, while selecting: a draft being written stays. */}
      <div hidden={!!selection}>
        <Composer
          chatId={chat.id}
          // A big group lists no members in itself (docs/api-chats.md, "Big groups"): they are searched for.
          members={(chat.members_count ?? 0) > chat.members.length ? null : chat.members}
          reply={reply}
          editing={editing}
          files={files}
          setFiles={setFiles}
          onCancel={() => {
            setReply(null);
            setEditing(null);
          }}
          onEditLast={editLast}
        />
      </div>
      {removing && (
        <Confirm
          title={t("Delete the message?")}
          text={t("It will be deleted for everyone in the chat.")}
          action={t("Delete")}
          onConfirm={() => deleteMessage(removing)}
          onClose={() => setRemoving(null)}
        />
      )}
      {forwarding && (
        <ForwardDialog messages={forwarding} onClose={() => setForwarding(null)} onDone={() => setSelection(null)} />
      )}
      {info && <ChatInfoDialog chat={chat} onClose={() => setInfo(false)} />}
    </section>
  );
}
