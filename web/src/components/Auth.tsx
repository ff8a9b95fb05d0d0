// Logging in (username or e-mail) and registering (with an avatar), before there is a session.
import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { LANGUAGES, setLanguage, t, useLanguage } from "../i18n";
import { follow, navigate } from "../router";
import { login, register, session } from "../session";
import { errorText } from "../state";
import { useStore } from "../store";
import { Field, ImagePicker } from "./common";

function LanguageSwitch() {
  const lang = useLanguage();
  return (
    <div class="language-switch" role="group" aria-label={t("Language")}>
      {LANGUAGES.map((language) => (
        <button
          type="button"
          key={language.code}
          class="link-button"
          aria-pressed={language.code === lang}
          lang={language.code}
          onClick={() => setLanguage(language.code)}
        >
          {language.name}
        </button>
      ))}
    </div>
  );
}

function LoginForm() {
  const expired = useStore(session, (state) => state.expired);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await login(String(form.get("username")).trim(), String(form.get("password")));
      navigate("/", true);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? t("Wrong username, e-mail or password.")
          : errorText(caught),
      );
      setBusy(false);
    }
  };
  return (
    <form class="auth-form" onSubmit={submit} aria-labelledby="auth-title">
      <h1 id="auth-title">{t("Log in")}</h1>
      {expired && (
        <p class="notice" role="status">
          {t("Your session has ended. Please log in again.")}
        </p>
      )}
      <Field label={t("Username or e-mail")}>
        <input name="username" autocomplete="username" required autoFocus />
      </Field>
      <Field label={t("Password")}>
        <input name="password" type="password" autocomplete="current-password" required />
      </Field>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button class="button primary" disabled={busy}>
        {t("Log in")}
      </button>
      <p>
        {t("No account yet?")}{" "}
        <a href="/register" onClick={follow}>
          {t("Register")}
        </a>
      </p>
    </form>
  );
}

function RegisterForm() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [avatar, setAvatar] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    form.delete("avatar");
    if (avatar) form.set("avatar", avatar);
    for (const name of ["email", "bio"]) if (!String(form.get(name) ?? "").trim()) form.delete(name);
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      await register(form);
      navigate("/", true);
    } catch (caught) {
      const fields = caught instanceof ApiError ? caught.fields() : {};
      setErrors(fields);
      if (!Object.keys(fields).length) setError(errorText(caught));
      setBusy(false);
    }
  };
  return (
    <form class="auth-form" onSubmit={submit} aria-labelledby="auth-title">
      <h1 id="auth-title">{t("Create an account")}</h1>
      <ImagePicker label={t("Choose an avatar")} name="avatar" current={null} file={avatar} onChange={setAvatar} />
      {errors.avatar && (
        <p class="error" role="alert">
          {errors.avatar}
        </p>
      )}
      <Field label={t("Username")} error={errors.username}>
        <input name="username" autocomplete="username" required autoFocus />
      </Field>
      <Field label={t("Password")} error={errors.password}>
        <input name="password" type="password" autocomplete="new-password" required minLength={8} />
      </Field>
      <div class="field-row">
        <Field label={t("First name")} error={errors.first_name}>
          <input name="first_name" autocomplete="given-name" required />
        </Field>
        <Field label={t("Last name")} error={errors.last_name}>
          <input name="last_name" autocomplete="family-name" />
        </Field>
      </div>
      <Field label={t("E-mail (optional)")} error={errors.email}>
        <input name="email" type="email" autocomplete="email" />
      </Field>
      <Field label={t("About you (optional)")} error={errors.bio}>
        <textarea name="bio" rows={2} />
      </Field>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button class="button primary" disabled={busy}>
        {t("Register")}
      </button>
      <p>
        {t("Already registered?")}{" "}
        <a href="/login" onClick={follow}>
          {t("Log in")}
        </a>
      </p>
    </form>
  );
}

export function AuthScreen({ path }: { path: string }) {
  useLanguage();
  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <p class="brand" aria-hidden="true">
          Messenger
        </p>
        {path.startsWith("/register") ? <RegisterForm /> : <LoginForm />}
        <LanguageSwitch />
      </div>
    </main>
  );
}
