// Starting a conversation: a private chat with someone found by name, or a group with a title, avatar, members.
import { useState } from "preact/hooks";
import { t } from "../i18n";
import { navigate } from "../router";
import { createGroup, displayName, errorText, openPrivateChat } from "../state";
import type { User } from "../types";
import { Dialog, Field, ImagePicker } from "./common";
import { PeopleSearch } from "./People";

function PrivateTab({ onClose }: { onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const open = async (user: User) => {
    try {
      const chat = await openPrivateChat(user.id);
      onClose();
      navigate(`/chat/${chat.id}`);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  return (
    <div>
      <PeopleSearch
        label={t("Find people")}
        autoFocus
        action={(user) => (
          <button
            type="button"
            class="button small"
            onClick={() => open(user)}
            aria-label={t("Message {name}", { name: displayName(user) })}
          >
            {t("Message")}
          </button>
        )}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function GroupTab({ onClose }: { onClose: () => void }) {
  const [title, setTitle] = useState("");
  const [avatar, setAvatar] = useState<File | null>(null);
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const chat = await createGroup(
        title.trim(),
        members.map((member) => member.id),
        avatar,
      );
      onClose();
      navigate(`/chat/${chat.id}`);
    } catch (caught) {
      setError(errorText(caught));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="stack">
      <ImagePicker label={t("Choose an avatar")} name="avatar" current={null} file={avatar} onChange={setAvatar} />
      <Field label={t("Group title")}>
        <input value={title} required onInput={(event) => setTitle(event.currentTarget.value)} />
      </Field>
      {members.length > 0 && (
        <ul class="chips" aria-label={t("Members")}>
          {members.map((member) => (
            <li key={member.id} class="chip">
              {displayName(member)}
              <button
                type="button"
                class="chip-remove"
                aria-label={t("Remove {name}", { name: displayName(member) })}
                onClick={() => setMembers(members.filter((item) => item.id !== member.id))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <PeopleSearch
        label={t("Add members")}
        exclude={new Set(members.map((member) => member.id))}
        action={(user) => (
          <button
            type="button"
            class="button small"
            onClick={() => setMembers([...members, user])}
            aria-label={t("Add {name}", { name: displayName(user) })}
          >
            {t("Add")}
          </button>
        )}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button class="button primary" disabled={busy || !title.trim()}>
          {t("Create group")}
        </button>
      </div>
    </form>
  );
}

export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const [tab, setTab] = useState<"private" | "group">("private");
  return (
    <Dialog title={t("New chat")} onClose={onClose}>
      <div class="tabs" role="tablist" aria-label={t("Kind of chat")}>
        <button
          type="button"
          role="tab"
          id="tab-private"
          aria-controls="panel-new-chat"
          aria-selected={tab === "private"}
          onClick={() => setTab("private")}
        >
          {t("Private chat")}
        </button>
        <button
          type="button"
          role="tab"
          id="tab-group"
          aria-controls="panel-new-chat"
          aria-selected={tab === "group"}
          onClick={() => setTab("group")}
        >
          {t("Group")}
        </button>
      </div>
      <div role="tabpanel" id="panel-new-chat" aria-labelledby={`tab-${tab}`}>
        {tab === "private" ? <PrivateTab onClose={onClose} /> : <GroupTab onClose={onClose} />}
      </div>
    </Dialog>
  );
}
