// Writing: text (Enter sends, Shift+Enter breaks the line), @-mentions picked from the chat's members, files from
// the picker, drag and drop or paste, voice notes recorded with MediaRecorder, replies and edits.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n";
import { app, displayName, editMessage, errorText, searchMembers, sendMessage } from "../state";
import { useStore } from "../store";
import type { Message, User } from "../types";
import { tellTyping } from "../typing";
import { AttachIcon, CloseIcon, MicIcon, SendIcon, StopIcon } from "./icons";

const VOICE_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];

function Attachment({ file, onRemove }: { file: File; onRemove: () => void }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file.type.startsWith("image/")) return;
    const objectUrl = URL.createObjectURL(file);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [file]);
  return (
    <li class="attachment">
      {url ? <img src={url} alt="" /> : <span class="attachment-file" aria-hidden="true" />}
      <span class="attachment-name">{file.name}</span>
      <button
        type="button"
        class="icon-button small"
        aria-label={t("Remove {name}", { name: file.name })}
        onClick={onRemove}
      >
        <CloseIcon />
      </button>
    </li>
  );
}

// "@" and what follows it up to the caret, at the start or after a character that cannot end a username or an
// e-mail address's local part (the server reads mentions the same way: docs/api-chats.md, "Mentions").
const MENTION_BEFORE_CARET = /(?:^|[^\w@.+-])@([\w.+-]{0,150})$/u;
const MENTION_CHOICES = 6;
const MENTION_SEARCH_DELAY_MS = 150;
const CARET_KEYS = new Set(["ArrowLeft", "ArrowRight", "Home", "End"]);

type Mentioning = { at: number; query: string };

function mentioning(text: string, caret: number): Mentioning | null {
  const match = MENTION_BEFORE_CARET.exec(text.slice(0, caret));
  return match ? { at: caret - match[1].length - 1, query: match[1].toLowerCase() } : null;
}

/** Members whose username, first or last name contains the query: those whose username starts with it first, then
 * those whose name does, then the rest (the order `GET /api/chat/{id}/members/?search=` answers in). */
function mentionChoices(members: User[], query: string): User[] {
  const names = (user: User) => [user.first_name, user.last_name].map((name) => (name ?? "").toLowerCase());
  const rank = (user: User) =>
    user.username.toLowerCase().startsWith(query)
      ? 0
      : names(user).some((name) => name.startsWith(query))
        ? 1
        : [user.username.toLowerCase(), ...names(user)].some((name) => name.includes(query))
          ? 2
          : null;
  return members
    .map((user) => ({ user, rank: rank(user) }))
    .filter((choice): choice is { user: User; rank: number } => choice.rank !== null)
    .sort((a, b) => a.rank - b.rank) // stable: join order within a rank
    .map((choice) => choice.user)
    .slice(0, MENTION_CHOICES);
}

/** Whom to suggest after "@": from the chat's own members, or, in a big group (which lists none), asked of the
 * server as the query changes. Until its answer comes, the previous answer narrowed to the new query shows. */
function useMentionChoices(chatId: string, members: User[] | null, query: string | null): User[] {
  const me = useStore(app, (state) => state.me);
  const [found, setFound] = useState<User[]>([]);
  useEffect(() => setFound([]), [chatId]);
  useEffect(() => {
    if (members || query === null) return;
    let current = true;
    const timer = setTimeout(() => {
      searchMembers(chatId, query, MENTION_CHOICES + 1)
        .then((users) => current && setFound(users))
        .catch(() => current && setFound([]));
    }, MENTION_SEARCH_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [chatId, members === null, query]);
  if (query === null) return [];
  return mentionChoices(
    (members ?? found).filter((user) => user.id !== me?.id),
    query,
  );
}

function MentionChoices(props: { id: string; choices: User[]; active: number; onPick: (user: User) => void }) {
  return (
    <ul class="mention-choices" id={props.id} role="listbox" aria-label={t("Mention a member")}>
      {props.choices.map((user, index) => (
        <li
          key={user.id}
          id={`${props.id}-${index}`}
          role="option"
          aria-selected={index === props.active}
          // mousedown, not click: the text area keeps the focus (and the caret).
          onMouseDown={(event) => {
            event.preventDefault();
            props.onPick(user);
          }}
        >
          <span>{displayName(user)}</span> <span class="muted">@{user.username}</span>
        </li>
      ))}
    </ul>
  );
}

class Recorder {
  private recorder: MediaRecorder | null = null;
  private chunks: Blob[] = [];
  private stream: MediaStream | null = null;

  async start(): Promise<void> {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const mimeType = VOICE_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    this.recorder = new MediaRecorder(this.stream, mimeType ? { mimeType } : undefined);
    this.chunks = [];
    this.recorder.ondataavailable = (event) => {
      if (event.data.size) this.chunks.push(event.data);
    };
    this.recorder.start(250);
  }

  stop(): Promise<Blob | null> {
    const recorder = this.recorder;
    if (!recorder) return Promise.resolve(null);
    return new Promise((resolve) => {
      recorder.onstop = () => {
        this.release();
        const type = (recorder.mimeType || "audio/webm").split(";")[0];
        resolve(this.chunks.length ? new Blob(this.chunks, { type }) : null);
      };
      recorder.stop();
    });
  }

  cancel(): void {
    if (this.recorder && this.recorder.state !== "inactive") {
      this.recorder.onstop = () => this.release();
      this.recorder.stop();
    } else this.release();
  }

  private release(): void {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.recorder = null;
  }
}

export function Composer(props: {
  chatId: string;
  /** Who can be suggested after "@": the chat's members, or null in a big group (asked of the server then). */
  members: User[] | null;
  reply: Message | null;
  editing: Message | null;
  files: File[];
  setFiles: (files: File[]) => void;
  onCancel: () => void;
  onEditLast: () => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [recording, setRecording] = useState<number | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const recorder = useRef(new Recorder());
  const [mention, setMention] = useState<Mentioning | null>(null);
  const [activeChoice, setActiveChoice] = useState(0);
  const caretAfterPick = useRef<number | null>(null);
  const choices = useMentionChoices(props.chatId, props.members, mention?.query ?? null);
  const active = Math.min(activeChoice, choices.length - 1);
  const choicesId = `mention-choices-${props.chatId}`;

  // Where the caret is decides whether an "@" is being completed: after typing, clicking or moving it.
  const followCaret = () => {
    const node = input.current;
    const next = node && node.selectionStart === node.selectionEnd ? mentioning(node.value, node.selectionStart) : null;
    if (next?.at !== mention?.at || next?.query !== mention?.query) setActiveChoice(0);
    setMention(next);
  };

  const pickMention = (user: User) => {
    const node = input.current;
    if (!node || !mention) return;
    const before = `${text.slice(0, mention.at)}@${user.username} `;
    setText(before + text.slice(node.selectionStart).replace(/^ /, ""));
    caretAfterPick.current = before.length;
    setMention(null);
  };
  useLayoutEffect(() => {
    const node = input.current;
    if (node && caretAfterPick.current !== null) {
      node.setSelectionRange(caretAfterPick.current, caretAfterPick.current);
      caretAfterPick.current = null;
    }
  }, [text]);

  // Before the browser paints (a layout effect): as a plain effect it could run after the person had already typed
  // the new text, and put the old one back, which Enter then saved (a flaky browser test under load).
  useLayoutEffect(() => {
    setText(props.editing?.text ?? "");
    if (props.editing) input.current?.focus();
  }, [props.editing?.id]);
  useEffect(() => {
    if (props.reply) input.current?.focus();
  }, [props.reply]);
  useEffect(() => {
    if (recording === null) return;
    const timer = setInterval(() => setRecording((seconds) => (seconds ?? 0) + 1), 1000);
    return () => clearInterval(timer);
  }, [recording !== null]);
  useEffect(() => () => recorder.current.cancel(), []);
  // Grow with the text up to a limit.
  useEffect(() => {
    const node = input.current;
    if (!node) return;
    node.style.height = "auto";
    node.style.height = `${Math.min(node.scrollHeight, 160)}px`;
  }, [text]);

  const submit = async () => {
    setError(null);
    const body = text.trim();
    if (props.editing) {
      if (!body) return;
      try {
        await editMessage(props.editing, body);
        setText("");
        props.onCancel();
      } catch (caught) {
        setError(errorText(caught));
      }
      return;
    }
    if (!body && !props.files.length) return;
    sendMessage(props.chatId, { text: body, files: props.files, voice: null, replyTo: props.reply });
    setText("");
    props.setFiles([]);
    props.onCancel();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (choices.length && !event.isComposing) {
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
      if (step) {
        event.preventDefault();
        return setActiveChoice((active + step + choices.length) % choices.length);
      }
      if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
        event.preventDefault();
        return pickMention(choices[active]);
      }
      if (event.key === "Escape") {
        event.preventDefault();
        return setMention(null);
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    } else if (event.key === "Escape" && (props.reply || props.editing)) {
      event.preventDefault();
      setText("");
      props.onCancel();
    } else if (event.key === "ArrowUp" && !text && !props.editing) {
      props.onEditLast();
    }
  };

  const onPaste = (event: ClipboardEvent) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length) {
      event.preventDefault();
      props.setFiles([...props.files, ...files]);
    }
  };

  const startRecording = async () => {
    setError(null);
    try {
      await recorder.current.start();
      setRecording(0);
    } catch {
      setError(t("The microphone is not available."));
    }
  };

  const stopRecording = async (send: boolean) => {
    setRecording(null);
    if (!send) return recorder.current.cancel();
    const voice = await recorder.current.stop();
    if (voice) {
      sendMessage(props.chatId, { text: "", files: [], voice, replyTo: props.reply });
      props.onCancel();
    }
  };

  const context = props.editing ?? props.reply;
  return (
    <div class="composer">
      {context && (
        <div class="composer-context">
          <span>
            <strong>
              {props.editing ? t("Editing") : t("Reply to {name}", { name: displayName(context.sender) })}
            </strong>
            <span class="muted"> {context.text || (context.voice ? t("Voice message") : t("File"))}</span>
          </span>
          <button
            type="button"
            class="icon-button small"
            aria-label={props.editing ? t("Cancel editing") : t("Cancel reply")}
            onClick={() => {
              if (props.editing) setText("");
              props.onCancel();
            }}
          >
            <CloseIcon />
          </button>
        </div>
      )}
      {props.files.length > 0 && (
        <ul class="attachments" aria-label={t("Attachments")}>
          {props.files.map((file, index) => (
            <Attachment
              key={`${file.name}-${index}`}
              file={file}
              onRemove={() => props.setFiles(props.files.filter((_, i) => i !== index))}
            />
          ))}
        </ul>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {recording !== null ? (
        <div class="composer-row recording" role="group" aria-label={t("Recording a voice message")}>
          <span class="rec-dot" aria-hidden="true" />
          <span class="rec-time" role="timer">
            {Math.floor(recording / 60)}:{String(recording % 60).padStart(2, "0")}
          </span>
          <button type="button" class="button" onClick={() => stopRecording(false)}>
            {t("Cancel")}
          </button>
          <button
            type="button"
            class="icon-button primary"
            aria-label={t("Stop and send the voice message")}
            onClick={() => stopRecording(true)}
          >
            <StopIcon />
          </button>
        </div>
      ) : (
        <form
          class="composer-row mention-anchor"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          {!props.editing && (
            <label class="icon-button" title={t("Attach files")}>
              <AttachIcon />
              <span class="visually-hidden">{t("Attach files")}</span>
              <input
                type="file"
                multiple
                class="visually-hidden"
                onChange={(event) => {
                  props.setFiles([...props.files, ...(event.currentTarget.files ?? [])]);
                  event.currentTarget.value = "";
                }}
              />
            </label>
          )}
          <label class="visually-hidden" for={`composer-${props.chatId}`}>
            {t("Message")}
          </label>
          {choices.length > 0 && (
            <MentionChoices id={choicesId} choices={choices} active={active} onPick={pickMention} />
          )}
          <textarea
            id={`composer-${props.chatId}`}
            ref={input}
            rows={1}
            class="composer-input"
            placeholder={t("Write a message…")}
            value={text}
            aria-autocomplete="list"
            aria-controls={choices.length ? choicesId : undefined}
            aria-activedescendant={choices.length ? `${choicesId}-${active}` : undefined}
            onInput={(event) => {
              setText(event.currentTarget.value);
              followCaret();
              if (event.currentTarget.value.trim() && !props.editing) tellTyping(props.chatId);
            }}
            onKeyDown={onKeyDown}
            onKeyUp={(event) => CARET_KEYS.has(event.key) && followCaret()}
            onClick={followCaret}
            onBlur={() => setMention(null)}
            onPaste={onPaste}
          />
          {!text.trim() && !props.files.length && !props.editing ? (
            <button type="button" class="icon-button" aria-label={t("Record a voice message")} onClick={startRecording}>
              <MicIcon />
            </button>
          ) : (
            <button class="icon-button primary" aria-label={props.editing ? t("Save") : t("Send")}>
              <SendIcon />
            </button>
          )}
        </form>
      )}
    </div>
  );
}
