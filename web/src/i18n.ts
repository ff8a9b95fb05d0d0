// English and Russian. English texts are the keys (as with gettext); ru.ts holds the translations, and a test
// checks that every text given to `t` in the sources has one. Plural texts take `{n}` and a form per plural category.
import { useStore } from "./store";
import { createStore } from "./store";
import { ru } from "./ru";

export type Language = "en" | "ru";
export const LANGUAGES: { code: Language; name: string }[] = [
  { code: "en", name: "English" },
  { code: "ru", name: "Русский" },
];

export type Plural = Partial<Record<Intl.LDMLPluralRule, string>>;
export type Dictionary = Record<string, string | Plural>;

const EN_PLURALS: Dictionary = {
  "{n} members": { one: "{n} member", other: "{n} members" },
  "{n} unread": { one: "{n} unread message", other: "{n} unread messages" },
  "{n} likes": { one: "{n} like", other: "{n} likes" },
  "{n} unread chats": { one: "{n} chat with unread messages", other: "{n} chats with unread messages" },
  "{n} friend requests": { one: "{n} friend request", other: "{n} friend requests" },
  "{n} images": { one: "{n} image", other: "{n} images" },
  "{n} unread mentions": { one: "{n} unread mention of you", other: "{n} unread mentions of you" },
  "{n} people are typing…": { one: "{n} person is typing…", other: "{n} people are typing…" },
  "{n} selected": { one: "{n} message selected", other: "{n} messages selected" },
};

const DICTIONARIES: Record<Language, Dictionary> = { en: EN_PLURALS, ru };
const STORAGE_KEY = "messenger.lang";

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "ru") return saved;
  return navigator.language.toLowerCase().startsWith("ru") ? "ru" : "en";
}

export const i18n = createStore<{ lang: Language }>({ lang: initialLanguage() });

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  i18n.set({ lang });
}

export function isLanguage(value: unknown): value is Language {
  return value === "en" || value === "ru";
}

export function useLanguage(): Language {
  return useStore(i18n, (state) => state.lang);
}

export function t(key: string, vars: Record<string, string | number> = {}): string {
  const lang = i18n.get().lang;
  const entry = DICTIONARIES[lang][key] ?? EN_PLURALS[key] ?? key;
  let text: string;
  if (typeof entry === "string") text = entry;
  else {
    const category = new Intl.PluralRules(lang).select(Number(vars.n ?? 0));
    text = entry[category] ?? entry.other ?? entry.many ?? key;
  }
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = i18n.get().lang + JSON.stringify(options);
  let formatter = formats.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(i18n.get().lang, options);
    formats.set(key, formatter);
  }
  return formatter;
}

/** 14:05 today, "3 Dec" this year, "3 Dec 2025" before. */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return format({ hour: "2-digit", minute: "2-digit" }).format(date);
  if (date.getFullYear() === now.getFullYear()) return format({ day: "numeric", month: "short" }).format(date);
  return format({ day: "numeric", month: "short", year: "numeric" }).format(date);
}

export function clockTime(iso: string): string {
  return format({ hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

export function fullTime(iso: string): string {
  return format({ dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

export function dayLabel(iso: string): string {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86_400_000);
  if (date.toDateString() === today.toDateString()) return t("Today");
  if (date.toDateString() === yesterday.toDateString()) return t("Yesterday");
  return format({ day: "numeric", month: "long", year: "numeric" }).format(date);
}
