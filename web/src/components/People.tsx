// Finding people by username or name (GET /api/users/?search=), with an action per person.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import { get } from "../api";
import { t } from "../i18n";
import { app, displayName } from "../state";
import type { Page, User } from "../types";
import { UserAvatar } from "./common";

export function PersonRow({ user, children }: { user: User; children?: ComponentChildren }) {
  return (
    <li class="person" data-user={user.username}>
      <UserAvatar user={user} size={36} online={user.is_online} />
      <span class="person-name">
        <span>{displayName(user)}</span>
        <span class="muted">@{user.username}</span>
      </span>
      <span class="person-actions">{children}</span>
    </li>
  );
}

export function PeopleSearch(props: {
  label: string;
  exclude?: Set<string>;
  action: (user: User) => ComponentChildren;
  autoFocus?: boolean;
}) {
  const id = useId();
  const [query, setQuery] = useState("");
  const [people, setPeople] = useState<User[] | null>(null);
  const me = app.get().me?.id;
  useEffect(() => {
    const search = query.trim();
    if (!search) return setPeople(null);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      get<Page<User>>("users/", { search, page_size: 20 }, controller.signal).then(
        (page) => setPeople(page.results),
        () => undefined,
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [query]);
  const shown = (people ?? []).filter((user) => user.id !== me && !props.exclude?.has(user.id));
  return (
    <div class="people-search">
      <label for={id} class="field-label">
        {props.label}
      </label>
      <input
        id={id}
        type="search"
        class="search"
        value={query}
        placeholder={t("Name or username")}
        autoFocus={props.autoFocus}
        onInput={(event) => setQuery(event.currentTarget.value)}
      />
      {people && (
        <ul class="people" role="list" aria-label={t("People found")}>
          {shown.map((user) => (
            <PersonRow key={user.id} user={user}>
              {props.action(user)}
            </PersonRow>
          ))}
          {!shown.length && <li class="empty">{t("Nobody found.")}</li>}
        </ul>
      )}
    </div>
  );
}
