// Friends (docs/social.md): find people and ask them, answer requests, see and message friends.
import { useEffect, useState } from "preact/hooks";
import { del, get, post } from "../api";
import { t } from "../i18n";
import { onSocialEvent } from "../realtime";
import { navigate } from "../router";
import { loadIncomingRequests } from "../session";
import { displayName, errorText, openPrivateChat } from "../state";
import type { FriendRequest, FriendResult, Page, User } from "../types";
import { PeopleSearch, PersonRow } from "./People";

export function Friends() {
  const [friends, setFriends] = useState<User[]>([]);
  const [incoming, setIncoming] = useState<FriendRequest[]>([]);
  const [outgoing, setOutgoing] = useState<FriendRequest[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const refresh = async () => {
    try {
      const [friendsPage, outgoingPage, incomingList] = await Promise.all([
        get<Page<User>>("friends/", { page_size: 100 }),
        get<Page<FriendRequest>>("friends/requests/", { direction: "outgoing", page_size: 100 }),
        loadIncomingRequests(),
      ]);
      setFriends(friendsPage.results);
      setOutgoing(outgoingPage.results);
      setIncoming(incomingList);
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  useEffect(() => {
    void refresh();
    return onSocialEvent((event) => {
      if (event.event === "friend_request" || event.event === "friend_accept") void refresh();
    });
  }, []);

  const act = (action: () => Promise<unknown>, done?: string) => async () => {
    setError(null);
    try {
      await action();
      if (done) setStatus(done);
      await refresh();
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  const message = async (user: User) => {
    try {
      navigate(`/chat/${(await openPrivateChat(user.id)).id}`);
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  const friendIds = new Set(friends.map((friend) => friend.id));
  const asked = new Set(outgoing.map((request) => request.to_user.id));
  return (
    <section class="page-content narrow" aria-labelledby="friends-title">
      <h1 id="friends-title">{t("Friends")}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p role="status" class="muted">
        {status}
      </p>
      <PeopleSearch
        label={t("Find people")}
        exclude={friendIds}
        action={(user) =>
          asked.has(user.id) ? (
            <span class="muted">{t("Request sent")}</span>
          ) : (
            <button
              type="button"
              class="button small"
              aria-label={t("Add {name} as a friend", { name: displayName(user) })}
              onClick={act(() => post<FriendResult>("friends/requests/", { user: user.id }), t("Request sent"))}
            >
              {t("Add friend")}
            </button>
          )
        }
      />
      {incoming.length > 0 && (
        <section aria-labelledby="incoming-title">
          <h2 id="incoming-title">{t("Friend requests")}</h2>
          <ul class="people" role="list">
            {incoming.map((request) => (
              <PersonRow key={request.id} user={request.from_user}>
                <button
                  type="button"
                  class="button small primary"
                  onClick={act(() => post(`friends/requests/${request.id}/accept/`))}
                >
                  {t("Accept")}
                </button>
                <button
                  type="button"
                  class="button small"
                  onClick={act(() => post(`friends/requests/${request.id}/decline/`))}
                >
                  {t("Decline")}
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      )}
      {outgoing.length > 0 && (
        <section aria-labelledby="outgoing-title">
          <h2 id="outgoing-title">{t("Sent requests")}</h2>
          <ul class="people" role="list">
            {outgoing.map((request) => (
              <PersonRow key={request.id} user={request.to_user}>
                <button type="button" class="button small" onClick={act(() => del(`friends/requests/${request.id}/`))}>
                  {t("Cancel")}
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="my-friends-title">
        <h2 id="my-friends-title">{t("My friends")}</h2>
        <ul class="people" role="list">
          {friends.map((friend) => (
            <PersonRow key={friend.id} user={friend}>
              <button type="button" class="button small" onClick={() => void message(friend)}>
                {t("Message")}
              </button>
              <button
                type="button"
                class="button small"
                aria-label={t("Remove {name} from friends", { name: displayName(friend) })}
                onClick={act(() => del(`friends/${friend.id}/`))}
              >
                {t("Remove")}
              </button>
            </PersonRow>
          ))}
          {!friends.length && <li class="empty">{t("No friends yet. Find people above.")}</li>}
        </ul>
      </section>
    </section>
  );
}
