// "… is typing": the ephemeral `typing` events of `chats:<my id>` (docs/realtime.md), each shown for its
// `expires_in` seconds unless another one from that user renews it, and ended at once by a message from them; and
// my own typing, told to the API at most once every 3 s (it would drop the calls in between anyway).
import { post } from "./api";
import { createStore, useStore } from "./store";
import type { Id, User } from "./types";

const TELL_EVERY_MS = 3000;

const timers = new Map<string, ReturnType<typeof setTimeout>>();
const typing = createStore<{ chats: Record<Id, User[]> }>({ chats: {} });
const NOBODY: User[] = [];

function change(chatId: Id, users: (current: User[]) => User[]): void {
  typing.set((state) => ({ chats: { ...state.chats, [chatId]: users(state.chats[chatId] ?? NOBODY) } }));
}

export function startedTyping(chatId: Id, user: User, seconds = 6): void {
  const key = `${chatId}:${user.id}`;
  clearTimeout(timers.get(key));
  timers.set(
    key,
    setTimeout(() => stoppedTyping(chatId, user.id), seconds * 1000),
  );
  change(chatId, (users) => [...users.filter((known) => known.id !== user.id), user]);
}

export function stoppedTyping(chatId: Id, userId: Id): void {
  const key = `${chatId}:${userId}`;
  if (!timers.has(key)) return;
  clearTimeout(timers.get(key));
  timers.delete(key);
  change(chatId, (users) => users.filter((known) => known.id !== userId));
}

/** Who is typing in a chat now. */
export function useTyping(chatId: Id): User[] {
  return useStore(typing, (state) => state.chats[chatId] ?? NOBODY);
}

const told = new Map<Id, number>();

/** I am typing in a chat (on each keystroke). */
export function tellTyping(chatId: Id): void {
  const now = Date.now();
  if (now - (told.get(chatId) ?? 0) < TELL_EVERY_MS) return;
  told.set(chatId, now);
  post(`chat/${chatId}/typing/`).catch(() => undefined);
}
