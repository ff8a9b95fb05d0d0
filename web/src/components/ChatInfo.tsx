// About a chat: the other person of a private chat; a group's title, avatar and members. The creator renames
// it, changes the avatar, adds and removes members, deletes it; other members may leave. Anyone mutes it for
// themself.
import { useEffect, useState } from "preact/hooks";
import { fullTime, t } from "../i18n";
import { navigate } from "../router";
import {
  addMembers,
  deleteChat,
  displayName,
  errorText,
  isMuted,
  leaveChat,
  membersPage,
  muteChat,
  removeMember,
  updateGroup,
} from "../state";
import { app } from "../state";
import { useStore } from "../store";
import type { Chat, User } from "../types";
import { peer } from "./ChatList";
import { Confirm, Dialog, Field, ImagePicker, UserAvatar } from "./common";
import { PeopleSearch, PersonRow } from "./People";

// How long the timed mutes last, as offered.
const MUTE_HOURS: [number, () => string][] = [
  [1, () => t("Mute for 1 hour")],
  [8, () => t("Mute for 8 hours")],
  [24, () => t("Mute for 1 day")],
];

export function ChatInfoDialog({ chat, onClose }: { chat: Chat; onClose: () => void }) {
  const me = useStore(app, (state) => state.me)!;
  const [title, setTitle] = useState(chat.title);
  const [avatar, setAvatar] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<"leave" | "delete" | null>(null);
  const [saved, setSaved] = useState(false);
  // A big group lists no members in itself: they come a page at a time.
  const big = (chat.members_count ?? 0) > chat.members.length;
  const [listed, setListed] = useState<{ users: User[]; next: string | null }>({ users: [], next: null });
  const loadMembers = async (next: string | null) => {
    const page = await membersPage(chat.id, next);
    setListed((current) => ({ users: [...(next ? current.users : []), ...page.results], next: page.next }));
  };
  useEffect(() => {
    if (big) loadMembers(null).catch((caught) => setError(errorText(caught)));
  }, [chat.id, big, chat.members_count]);
  const members = big ? listed.users : chat.members;
  const creator = chat.creator.id === me.id;
  const other = peer(chat, me.id);

  const guard = (action: () => Promise<void>) => async () => {
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    await guard(async () => {
      await updateGroup(chat.id, {
        title: title.trim() !== chat.title ? title.trim() : undefined,
        avatar: avatar ?? undefined,
      });
      setAvatar(null);
      setSaved(true);
    })();
  };

  const gone = async (action: (id: string) => Promise<void>) => {
    await action(chat.id);
    onClose();
    navigate("/", true);
  };

  return (
    <Dialog title={chat.is_private ? t("About this chat") : t("Group settings")} onClose={onClose} wide>
      {other ? (
        <div class="profile-card">
          <UserAvatar user={other} size={96} online={other.is_online} />
          <h3>{displayName(other)}</h3>
          <p class="muted">@{other.username}</p>
          {other.bio && <p>{other.bio}</p>}
          <p class="muted">{other.is_online ? t("online") : t("offline")}</p>
        </div>
      ) : creator ? (
        <form class="stack" onSubmit={save}>
          <ImagePicker
            label={t("Change the avatar")}
            name="avatar"
            current={chat.avatar}
            file={avatar}
            onChange={setAvatar}
          />
          <Field label={t("Group title")}>
            <input value={title} required onInput={(event) => setTitle(event.currentTarget.value)} />
          </Field>
          <div class="dialog-actions">
            {saved && (
              <span role="status" class="muted">
                {t("Saved.")}
              </span>
            )}
            <button class="button primary">{t("Save")}</button>
          </div>
        </form>
      ) : (
        <div class="profile-card">
          <h3>{chat.title}</h3>
        </div>
      )}
      {!chat.is_private && (
        <section aria-labelledby="members-title">
          <h3 id="members-title">{t("{n} members", { n: chat.members_count ?? chat.members.length })}</h3>
          <ul class="people" role="list">
            {members.map((member) => (
              <PersonRow key={member.id} user={member}>
                {member.id === chat.creator.id && <span class="muted">{t("creator")}</span>}
                {creator && member.id !== me.id && (
                  <button
                    type="button"
                    class="button small"
                    aria-label={t("Remove {name}", { name: displayName(member) })}
                    onClick={guard(() => removeMember(chat.id, member.id))}
                  >
                    {t("Remove")}
                  </button>
                )}
              </PersonRow>
            ))}
          </ul>
          {big && listed.next && (
            <button type="button" class="button small" onClick={guard(() => loadMembers(listed.next))}>
              {t("Show more members")}
            </button>
          )}
          {creator && (
            <PeopleSearch
              label={t("Add members")}
              exclude={new Set(members.map((member) => member.id))}
              action={(user) => (
                <button
                  type="button"
                  class="button small"
                  aria-label={t("Add {name}", { name: displayName(user) })}
                  onClick={guard(() => addMembers(chat.id, [user.id]))}
                >
                  {t("Add")}
                </button>
              )}
            />
          )}
        </section>
      )}
      <section aria-labelledby="notifications-title" class="notifications">
        <h3 id="notifications-title">{t("Notifications")}</h3>
        <p class="muted notifications-state">
          {!isMuted(chat)
            ? t("On")
            : chat.muted_until
              ? t("Muted until {time}", { time: fullTime(chat.muted_until) })
              : t("Muted")}
        </p>
        <div class="dialog-actions">
          {isMuted(chat) ? (
            <button type="button" class="button" onClick={guard(() => muteChat(chat.id, false))}>
              {t("Unmute")}
            </button>
          ) : (
            <>
              {MUTE_HOURS.map(([hours, label]) => (
                <button
                  key={hours}
                  type="button"
                  class="button"
                  onClick={guard(() => muteChat(chat.id, new Date(Date.now() + hours * 3600 * 1000)))}
                >
                  {label()}
                </button>
              ))}
              <button type="button" class="button" onClick={guard(() => muteChat(chat.id, null))}>
                {t("Mute forever")}
              </button>
            </>
          )}
        </div>
      </section>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions spread">
        {!chat.is_private && !creator && (
          <button type="button" class="button danger" onClick={() => setConfirm("leave")}>
            {t("Leave the group")}
          </button>
        )}
        {(chat.is_private || creator) && (
          <button type="button" class="button danger" onClick={() => setConfirm("delete")}>
            {chat.is_private ? t("Delete the chat") : t("Delete the group")}
          </button>
        )}
      </div>
      {confirm === "leave" && (
        <Confirm
          title={t("Leave the group?")}
          text={t("You will no longer see its messages.")}
          action={t("Leave")}
          onConfirm={() => gone(leaveChat)}
          onClose={() => setConfirm(null)}
        />
      )}
      {confirm === "delete" && (
        <Confirm
          title={chat.is_private ? t("Delete the chat?") : t("Delete the group?")}
          text={t("All its messages will be deleted for everyone.")}
          action={t("Delete")}
          onConfirm={() => gone(deleteChat)}
          onClose={() => setConfirm(null)}
        />
      )}
    </Dialog>
  );
}
