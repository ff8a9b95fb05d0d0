// Writing: text (Enter sends, Shift+Enter breaks the line), files from the picker, drag and drop or paste, voice
// notes recorded with MediaRecorder, replies and edits.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n";
import { displayName, editMessage, errorText, sendMessage } from "../state";
import type { Message } from "../types";
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
    void sendMessage(props.chatId, { text: body, files: props.files, voice: null, replyTo: props.reply });
    setText("");
    props.setFiles([]);
    props.onCancel();
  };

  const onKeyDown = (event: KeyboardEvent) => {
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
      void sendMessage(props.chatId, { text: "", files: [], voice, replyTo: props.reply });
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
          class="composer-row"
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
          <textarea
            id={`composer-${props.chatId}`}
            ref={input}
            rows={1}
            class="composer-input"
            placeholder={t("Write a message…")}
            value={text}
            onInput={(event) => {
              setText(event.currentTarget.value);
              if (event.currentTarget.value.trim() && !props.editing) tellTyping(props.chatId);
            }}
            onKeyDown={onKeyDown}
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
