// Forwarding messages (one, or those selected: up to 100): pick one of my chats (filtered by title); the copies are
// sent there, oldest first, and the chat opens.
import { useState } from "preact/hooks";
import { t } from "../i18n";
import { navigate } from "../router";
import { app, errorText, forwardMessages, sortedChats } from "../state";
import { useStore } from "../store";
import type { Message } from "../types";
import { Avatar, Dialog } from "./common";

export function ForwardDialog(props: { messages: Message[]; onClose: () => void; onDone?: () => void }) {
  const { messages, onClose } = props;
  const chats = useStore(app, sortedChats);
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  const search = query.trim().toLowerCase();
  const shown = search ? chats.filter((chat) => chat.title.toLowerCase().includes(search)) : chats;
  const forward = async (chatId: string) => {
    setError(null);
    try {
      await forwardMessages(
        chatId,
        messages.map((message) => message.id),
      );
      onClose();
      props.onDone?.();
      navigate(`/chat/${chatId}`);
    } catch (caught) {
      setError(errorText(caught));
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
                aria-label={t("Forward to {name}", { name: chat.title })}
                onClick={() => void forward(chat.id)}
              >
                {t("Forward")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
