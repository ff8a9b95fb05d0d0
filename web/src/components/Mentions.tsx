// The messages that mention me in my chats, newest first (`GET /api/mentions/`, cursor-paged); each opens its chat
// at the message. Asked again each time the list is shown: mentions are not followed live here.
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";
import { app, displayName, errorText, loadMentions } from "../state";
import { useStore } from "../store";
import type { Message } from "../types";
import { MessageHit } from "./common";
import { WithMentionsOf } from "./Message";

export function Mentions() {
  const me = useStore(app, (state) => state.me);
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = (link: string | null) =>
    loadMentions(link).then(
      (page) => {
        setMessages((shown) => [...(link ? (shown ?? []) : []), ...page.results]);
        setNext(page.next);
      },
      (caught) => setError(errorText(caught)),
    );
  useEffect(() => void load(null), []);

  return (
    <section class="search-hits mentions" aria-labelledby="mentions-title">
      <h2 id="mentions-title" class="list-heading">
        {t("Mentions of me")}
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {messages && !messages.length && <p class="empty">{t("Nobody has mentioned you yet.")}</p>}
      <ul role="list">
        {(messages ?? []).map((message) => (
          <li key={message.id}>
            <MessageHit message={message}>
              {displayName(message.sender)}: {/* a mention is in the text, so there is one */}
              <WithMentionsOf text={message.text ?? ""} username={me?.username ?? ""} />
            </MessageHit>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" class="button" onClick={() => void load(next)}>
          {t("Show more")}
        </button>
      )}
    </section>
  );
}
