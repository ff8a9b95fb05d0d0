// The user's own profile: names, username, e-mail, bio, status, avatar, language; logging out.
import { useState } from "preact/hooks";
import { ApiError, patch } from "../api";
import { LANGUAGES, isLanguage, t, useLanguage } from "../i18n";
import { chooseLanguage, logout } from "../session";
import { app, errorText } from "../state";
import { useStore } from "../store";
import type { Me } from "../types";
import { Field, ImagePicker } from "./common";

export function Profile() {
  const me = useStore(app, (state) => state.me)!;
  const lang = useLanguage();
  const [avatar, setAvatar] = useState<File | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const save = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    form.delete("avatar");
    if (avatar) form.set("avatar", avatar);
    setBusy(true);
    setSaved(false);
    setErrors({});
    setError(null);
    try {
      app.set({ me: await patch<Me>(`user/${me.id}/`, form) });
      setAvatar(null);
      setSaved(true);
    } catch (caught) {
      const fields = caught instanceof ApiError ? caught.fields() : {};
      setErrors(fields);
      if (!Object.keys(fields).length) setError(errorText(caught));
    }
    setBusy(false);
  };

  const removeAvatar = async () => {
    const form = new FormData();
    form.set("avatar", "");
    try {
      app.set({ me: await patch<Me>(`user/${me.id}/`, form) });
    } catch (caught) {
      setError(errorText(caught));
    }
  };

  return (
    <section class="page-content narrow" aria-labelledby="profile-title">
      <h1 id="profile-title">{t("Profile")}</h1>
      <form class="stack" onSubmit={save} key={me.id}>
        <ImagePicker
          label={t("Change the avatar")}
          name="avatar"
          current={me.avatar}
          file={avatar}
          onChange={setAvatar}
        />
        {me.avatar && !avatar && (
          <button type="button" class="link-button" onClick={removeAvatar}>
            {t("Remove the avatar")}
          </button>
        )}
        {errors.avatar && (
          <p class="error" role="alert">
            {errors.avatar}
          </p>
        )}
        <div class="field-row">
          <Field label={t("First name")} error={errors.first_name}>
            <input name="first_name" defaultValue={me.first_name} autocomplete="given-name" />
          </Field>
          <Field label={t("Last name")} error={errors.last_name}>
            <input name="last_name" defaultValue={me.last_name} autocomplete="family-name" />
          </Field>
        </div>
        <Field label={t("Username")} error={errors.username}>
          <input name="username" defaultValue={me.username} autocomplete="username" required />
        </Field>
        <Field label={t("E-mail")} error={errors.email}>
          <input name="email" type="email" defaultValue={me.email ?? ""} autocomplete="email" />
        </Field>
        <Field label={t("Status")} error={errors.status}>
          <input name="status" defaultValue={me.status ?? ""} />
        </Field>
        <Field label={t("About you")} error={errors.bio}>
          <textarea name="bio" rows={3} defaultValue={me.bio ?? ""} />
        </Field>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          {saved && (
            <span role="status" class="muted">
              {t("Saved.")}
            </span>
          )}
          <button class="button primary" disabled={busy}>
            {t("Save")}
          </button>
        </div>
      </form>
      <Field label={t("Language")}>
        <select
          value={lang}
          onChange={(event) => {
            const value = event.currentTarget.value;
            if (isLanguage(value)) void chooseLanguage(value).catch((caught) => setError(errorText(caught)));
          }}
        >
          {LANGUAGES.map((language) => (
            <option key={language.code} value={language.code} lang={language.code}>
              {language.name}
            </option>
          ))}
        </select>
      </Field>
      <hr />
      <button type="button" class="button danger" onClick={() => void logout()}>
        {t("Log out")}
      </button>
    </section>
  );
}
