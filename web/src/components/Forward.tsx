// Forwarding messages (one, or those selected: up to 100): pick one of my chats (filtered by title); the copies are
// sent there, oldest first, and the chat opens.
import { useState } from "preact/hooks";
import { t } from "../i18n";
import { navigate } from "../router";
import { app, errorText, forwardMessages, sortedChats } from "../state";
import { useStore } from "../store";
import type { Message } from "../types";
import { Avatar, Dialog, RetryCountdown } from "./common";

export function ForwardDialog(props: { messages: Message[]; onClose: () => void; onDone?: () => void }) {
  const { messages, onClose } = props;
  const chats = useStore(app, sortedChats);
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  // While a forward is on its way (waiting out a 429 until `retryAt`), another would forward the messages twice.
  const [busy, setBusy] = useState(false);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const search = query.trim().toLowerCase();
  const shown = search ? chats.filter((chat) => chat.title.toLowerCase().includes(search)) : chats;
  const forward = async (chatId: string) => {
    setError(null);
    setBusy(true);
    try {
      await forwardMessages(
        chatId,
        messages.map((message) => message.id),
        (seconds) => setRetryAt(Date.now() + seconds * 1000),
      );
      onClose();
      props.onDone?.();
      navigate(`/chat/${chatId}`);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
      setRetryAt(null);
    }
  };
  return (
    <Dialog title={t("Forward to…")} onClose={onClose}>
      <label class="visually-hidden" for="forward-search">
        {t("Search chats")}
      </label>
      <input
        id="forward-search"
        type="search"
        class="search"
        placeholder={t("Search chats")}
        value={query}
        autoFocus
        onInput={(event) => setQuery(event.currentTarget.value)}
      />
      <ul class="people" role="list" aria-label={t("Chats")}>
        {shown.map((chat) => (
          <li key={chat.id} class="person">
            <Avatar src={chat.avatar} name={chat.title} seed={chat.id} size={36} />
            <span class="person-name">{chat.title}</span>
            <span class="person-actions">
              <button
                type="button"
                class="button small"
                disabled={busy}
                aria-label={t("Forward to {name}", { name: chat.title })}
                onClick={() => void forward(chat.id)}
              >
                {t("Forward")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      {retryAt && (
        <p class="notice" role="status">
          <RetryCountdown at={retryAt} />
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
