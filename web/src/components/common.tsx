// Small shared pieces: avatars, dialogs, confirmations, file pickers, found messages.
import { type ComponentChildren, type JSX, cloneElement } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { shortTime, t } from "../i18n";
import { navigate } from "../router";
import { app, displayName, showMessage } from "../state";
import { useStore } from "../store";
import type { Message, User } from "../types";
import { CloseIcon } from "./icons";

/** "Waiting… retry in N s" until `at` (ms), counting down; then "Sending…" (the retry is on its way). */
export function RetryCountdown({ at }: { at: number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [at]);
  const seconds = Math.ceil((at - Date.now()) / 1000);
  return <span>{seconds > 0 ? t("Waiting… retry in {n} s", { n: seconds }) : t("Sending…")}</span>;
}

const PALETTE = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

function colorFor(seed: string): string {
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length];
}

export function Avatar(props: { src: string | null; name: string; seed: string; size?: number; online?: boolean }) {
  const size = props.size ?? 40;
  const initials =
    props.name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((word) => word[0]?.toUpperCase())
      .join("") || "?";
  return (
    <span class="avatar" style={{ width: `${size}px`, height: `${size}px` }} aria-hidden="true">
      {props.src ? (
        <img src={props.src} alt="" width={size} height={size} loading="lazy" />
      ) : (
        <span class="initials" style={{ background: colorFor(props.seed), fontSize: `${size * 0.4}px` }}>
          {initials}
        </span>
      )}
      {props.online && <span class="online-dot" />}
    </span>
  );
}

export function UserAvatar({ user, size, online }: { user: User; size?: number; online?: boolean }) {
  return <Avatar src={user.avatar} name={displayName(user)} seed={user.id} size={size} online={online} />;
}

/** A modal <dialog>: the browser traps focus in it, Esc closes it, focus returns to the opener afterwards. */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    return () => opener?.focus?.();
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? "dialog wide" : "dialog"}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
      onClick={(event) => {
        if (event.target === ref.current) props.onClose();
      }}
    >
      <div class="dialog-body">
        <header class="dialog-header">
          <h2 id={titleId}>{props.title}</h2>
          <button type="button" class="icon-button" aria-label={t("Close")} onClick={props.onClose}>
            <CloseIcon />
          </button>
        </header>
        {props.children}
      </div>
    </dialog>
  );
}

export function Confirm(props: {
  title: string;
  text: string;
  action: string;
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>{props.text}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="button" onClick={props.onClose}>
          {t("Cancel")}
        </button>
        <button
          type="button"
          class="button danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await props.onConfirm();
              props.onClose();
            } catch (caught) {
              setError(caught instanceof Error ? caught.message : String(caught));
              setBusy(false);
            }
          }}
        >
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}

/** An image chooser with a preview. */
export function ImagePicker(props: {
  label: string;
  current: string | null;
  file: File | null;
  onChange: (file: File | null) => void;
  name: string;
}) {
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => {
    if (!props.file) return setPreview(null);
    const url = URL.createObjectURL(props.file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [props.file]);
  const shown = preview ?? props.current;
  return (
    <div class="image-picker">
      {shown ? <img src={shown} alt="" class="picker-preview" /> : <span class="picker-empty" aria-hidden="true" />}
      <label class="button">
        {props.label}
        <input
          type="file"
          name={props.name}
          accept="image/*"
          class="visually-hidden"
          onChange={(event) => props.onChange(event.currentTarget.files?.[0] ?? null)}
        />
      </label>
    </div>
  );
}

/** A labelled form control: the label names it, the hint and the error describe it. */
export function Field(props: { label: string; error?: string; children: JSX.Element; hint?: string }) {
  const id = useId();
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id} class="field-label">
        {props.label}
      </label>
      {cloneElement(props.children, {
        id,
        "aria-describedby": described || undefined,
        "aria-invalid": props.error ? "true" : undefined,
      })}
      {props.hint && (
        <span class="field-hint" id={`${id}-hint`}>
          {props.hint}
        </span>
      )}
      {props.error && (
        <span class="field-error" id={`${id}-error`} role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}

/** A found message (a search hit, a mention) as a button: its chat and time over `children`, the preview; it opens
 *  the chat at the message. */
export function MessageHit({ message, children }: { message: Message; children: ComponentChildren }) {
  const title = useStore(app, (state) => state.chats[message.chat]?.title);
  const open = () => {
    void showMessage(message.chat, message.id);
    navigate(`/chat/${message.chat}`);
  };
  return (
    <button type="button" class="hit" onClick={open}>
      <span class="chat-row-top">
        <span class="chat-title">{title ?? displayName(message.sender)}</span>
        <time class="chat-time" dateTime={message.created_at}>
          {shortTime(message.created_at)}
        </time>
      </span>
      <span class="chat-preview">{children}</span>
    </button>
  );
}
