// One message of the log: sender, reply quote, files, voice, text, reactions, time, read ticks and its actions
// menu (reply, edit, copy, forward, select, pin, delete, a row of reactions); a check box while messages are
// being selected.
import type { JSX } from "preact";
import { memo } from "preact/compat";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { clockTime, fullTime, t } from "../i18n";
import { app, displayName } from "../state";
import type { FileRef, Message } from "../types";
import { isImage } from "./ChatList";
import { UserAvatar } from "./common";
import { MoreIcon, TicksIcon } from "./icons";

export interface MessageActions {
  reply(message: Message): void;
  edit(message: Message): void;
  remove(message: Message): void;
  showQuoted(messageId: string): void;
  forward(message: Message): void;
  /** Select the message, or unselect it (to forward several at once). */
  select(message: Message): void;
  /** Toggle my reaction with `emoji`. */
  react(message: Message, emoji: string): void;
  /** Pin or unpin (null: I may not: a group's creator may, or either member of a private chat). */
  pin: ((message: Message, pinned: boolean) => void) | null;
  /** A member's name, when the chat lists its members (a big group does not). */
  userName(id: string): string | null;
}

/** The picker's emojis: the ones people use most. */
const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/** What a file is called: the name it was sent under, or, for files stored before the API kept it, its type. */
function fileLabel(file: FileRef): string {
  if (file.name) return file.name;
  const name = decodeURIComponent(new URL(file.item, location.origin).pathname.split("/").pop() ?? "");
  const extension = name.includes(".") ? name.split(".").pop()?.toUpperCase() : "";
  return extension ? `${t("File")} (${extension})` : t("File");
}

/** A voice note's player, with its length shown before it plays. Chrome's MediaRecorder writes WebM with no
 *  duration in it: the player said 0:00 and could not seek until played through. Asked to seek past the end, the
 *  browser finds the real end; then back to the start. */
function VoicePlayer({ src }: { src: string }) {
  const audio = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const element = audio.current;
    if (!element) return;
    const found = () => {
      if (!Number.isFinite(element.duration)) return;
      element.removeEventListener("durationchange", found);
      element.currentTime = 0;
    };
    const measure = () => {
      if (element.duration !== Infinity) return;
      element.addEventListener("durationchange", found);
      element.currentTime = Number.MAX_SAFE_INTEGER;
    };
    element.addEventListener("loadedmetadata", measure);
    if (element.readyState >= HTMLMediaElement.HAVE_METADATA) measure();
    return () => {
      element.removeEventListener("loadedmetadata", measure);
      element.removeEventListener("durationchange", found);
    };
  }, [src]);
  return <audio ref={audio} class="voice" controls preload="metadata" src={src} aria-label={t("Voice message")} />;
}

function ActionsMenu({ message, mine, actions }: { message: Message; mine: boolean; actions: MessageActions }) {
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLUListElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const [rightwards, setRightwards] = useState(false);
  useLayoutEffect(() => {
    // It opens leftwards from the button; by a narrow message on the left that would cut it off at the log's edge.
    const node = menu.current;
    const log = node?.closest(".log")?.getBoundingClientRect();
    setRightwards(!!node && !!log && node.getBoundingClientRect().left < log.left);
  }, [open]);
  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>("button")?.focus();
    const close = (event: Event) => {
      if (!menu.current?.contains(event.target as Node) && event.target !== button.current) setOpen(false);
    };
    document.addEventListener("pointerdown", close);
    return () => document.removeEventListener("pointerdown", close);
  }, [open]);
  const run = (action: () => void) => () => {
    setOpen(false);
    action();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>("button") ?? [])];
    const index = items.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === "Escape") {
      event.stopPropagation();
      setOpen(false);
      button.current?.focus();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      items[(index + step + items.length) % items.length]?.focus();
    } else if (event.key === "Tab") {
      setOpen(false);
    }
  };
  return (
    <div class="message-menu">
      <button
        ref={button}
        type="button"
        class="icon-button small"
        aria-label={t("Message actions")}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <MoreIcon />
      </button>
      {open && (
        <ul
          class={rightwards ? "menu rightwards" : "menu"}
          role="menu"
          ref={menu}
          aria-label={t("Message actions")}
          onKeyDown={onKeyDown}
        >
          <li role="none">
            <button type="button" role="menuitem" onClick={run(() => actions.reply(message))}>
              {t("Reply")}
            </button>
          </li>
          {mine && message.text !== null && (
            <li role="none">
              <button type="button" role="menuitem" onClick={run(() => actions.edit(message))}>
                {t("Edit")}
              </button>
            </li>
          )}
          {message.text && (
            <li role="none">
              <button
                type="button"
                role="menuitem"
                onClick={run(() => void navigator.clipboard?.writeText(message.text ?? ""))}
              >
                {t("Copy text")}
              </button>
            </li>
          )}
          <li role="none">
            <button type="button" role="menuitem" onClick={run(() => actions.forward(message))}>
              {t("Forward")}
            </button>
          </li>
          <li role="none">
            <button type="button" role="menuitem" onClick={run(() => actions.select(message))}>
              {t("Select")}
            </button>
          </li>
          {actions.pin && (
            <li role="none">
              <button type="button" role="menuitem" onClick={run(() => actions.pin?.(message, !message.pinned_at))}>
                {message.pinned_at ? t("Unpin") : t("Pin")}
              </button>
            </li>
          )}
          {mine && (
            <li role="none">
              <button type="button" role="menuitem" class="danger" onClick={run(() => actions.remove(message))}>
                {t("Delete")}
              </button>
            </li>
          )}
          <li role="none" class="menu-emojis">
            {EMOJIS.map((emoji) => (
              <button
                key={emoji}
                type="button"
                role="menuitem"
                aria-label={t("React with {emoji}", { emoji })}
                onClick={run(() => actions.react(message, emoji))}
              >
                {emoji}
              </button>
            ))}
          </li>
        </ul>
      )}
    </div>
  );
}

// `@username` as the API reads it: not inside a word or an e-mail address; a trailing `.` or `-` ends a sentence.
const MENTION = /(?<![\w@.+-])@([\w.@+-]+)/g;

/** The text with my `@username` marked. */
export function WithMentionsOf({ text, username }: { text: string; username: string }) {
  const parts: (string | JSX.Element)[] = [];
  const mine = username.toLowerCase();
  let shown = 0;
  for (const match of text.matchAll(MENTION)) {
    let name = match[1];
    if (name.toLowerCase() !== mine) name = name.replace(/[.-]+$/, "");
    if (name.toLowerCase() !== mine) continue;
    parts.push(text.slice(shown, match.index), <mark class="mention">@{name}</mark>);
    shown = match.index + 1 + name.length;
  }
  parts.push(text.slice(shown));
  return <>{parts}</>;
}

function Reactions({ message, actions }: { message: Message; actions: MessageActions }) {
  const me = app.get().me;
  return (
    <ul class="reactions" aria-label={t("Reactions")}>
      {message.reactions!.map((reaction) => {
        const mine = !!me && reaction.users.includes(me.id);
        const names = reaction.users
          .map((id) => (id === me?.id ? t("You") : actions.userName(id)))
          .filter(Boolean)
          .join(", ");
        return (
          <li key={reaction.emoji}>
            <button
              type="button"
              class="reaction"
              aria-pressed={mine}
              aria-label={`${reaction.emoji} ${reaction.count}${names ? `: ${names}` : ""}`}
              title={names || undefined}
              onClick={() => actions.react(message, reaction.emoji)}
            >
              {reaction.emoji} {reaction.count}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

export const MessageItem = memo(function MessageItem(props: {
  message: Message;
  mine: boolean;
  unread: boolean;
  showSender: boolean;
  /** While messages are being selected: whether this one is (undefined otherwise); null when it cannot be. */
  selected?: boolean | null;
  actions: MessageActions;
}) {
  const { message, mine } = props;
  // The API measures images by their content (`width`); older files are told by their extension.
  const image = (file: FileRef) => file.width != null || isImage(file.item);
  const images = message.files.filter(image);
  const others = message.files.filter((file) => !image(file));
  const read = message.was_read_by.length > 0;
  const edited = message.updated_at !== message.created_at;
  const sender = displayName(message.sender);
  const me = app.get().me;
  const mentionsMe = !!me && !!message.mentions?.includes(me.id);
  return (
    <li
      class={mine ? "message mine" : "message theirs"}
      id={`message-${message.id}`}
      data-id={message.id}
      data-unread={props.unread ? "1" : undefined}
      data-selected={props.selected ? "1" : undefined}
    >
      {props.selected !== undefined && (
        <input
          type="checkbox"
          class="select-message"
          aria-label={t("Select this message")}
          checked={!!props.selected}
          disabled={props.selected === null}
          onChange={() => props.actions.select(message)}
        />
      )}
      {props.showSender && <UserAvatar user={message.sender} size={32} />}
      <article class="bubble" aria-label={`${mine ? t("You") : sender}, ${fullTime(message.created_at)}`}>
        {props.showSender && <p class="sender">{sender}</p>}
        {message.forwarded_from && (
          <p class="forwarded">
            {t("Forwarded from {name}", {
              name: message.forwarded_from.sender ? displayName(message.forwarded_from.sender) : t("a deleted account"),
            })}
          </p>
        )}
        {message.reply_to && (
          <button type="button" class="quote" onClick={() => props.actions.showQuoted(message.reply_to!.id)}>
            <span class="quote-author">{displayName(message.reply_to.sender)}</span>
            <span class="quote-text">
              {message.reply_to.text || (message.reply_to.voice ? t("Voice message") : t("File"))}
            </span>
          </button>
        )}
        {images.length > 0 && (
          <div class={images.length > 1 ? "images grid" : "images"}>
            {images.map((file) => (
              <a key={file.item} href={file.item} target="_blank" rel="noopener noreferrer">
                {/* The preview (at most 320 px a side) at its size: laid out before it loads. */}
                <img
                  src={file.thumbnail ?? file.item}
                  width={file.width ?? undefined}
                  height={file.height ?? undefined}
                  alt={t("Image")}
                  loading="lazy"
                />
              </a>
            ))}
          </div>
        )}
        {others.map((file) => (
          <a
            key={file.item}
            class="file"
            href={file.item}
            target="_blank"
            rel="noopener noreferrer"
            download={file.name || true}
          >
            {fileLabel(file)}
          </a>
        ))}
        {message.voice && <VoicePlayer src={message.voice} />}
        {message.text && (
          <p class="text">
            {mentionsMe ? <WithMentionsOf username={me!.username} text={message.text} /> : message.text}
          </p>
        )}
        {!!message.reactions?.length && <Reactions message={message} actions={props.actions} />}
        <footer class="meta">
          {message.pinned_at && <span class="edited">{t("pinned")}</span>}
          {edited && <span class="edited">{t("edited")}</span>}
          <time dateTime={message.created_at} title={fullTime(message.created_at)}>
            {clockTime(message.created_at)}
          </time>
          {mine && (
            <span
              class={read ? "ticks read" : "ticks"}
              role="img"
              aria-label={read ? t("Read") : t("Sent")}
              data-read={read ? "1" : "0"}
            >
              <TicksIcon read={read} />
            </span>
          )}
        </footer>
        <ActionsMenu message={message} mine={mine} actions={props.actions} />
      </article>
    </li>
  );
});
