// Centrifugo through the official SDK: the personal channel `<user id>` (message events), `chats:<user id>`
// (chat list events), `social:<user id>` (docs/realtime.md), and a big group's own `chat:<chat id>` (its message
// events, instead of the personal channel) for each such chat in the list — all with history and recovery.
//
// After a reconnect Centrifugo replays what the client missed (recovered publications go through the same
// idempotent handlers). When it cannot (`wasRecovering && !recovered`: history expired, or lost with a memory
// engine), the open views are refetched. The first REST loads wait for the first subscription (state.ts).
import { Centrifuge, type SubscribedContext, type Subscription, UnauthorizedError } from "centrifuge";
import { ApiError, api } from "./api";
import {
  app,
  applyChatEvent,
  applyMessageEvent,
  awaitSubscription,
  catchUp,
  catchUpChat,
  loadChats,
  resendStalled,
  subscriptionStarted,
} from "./state";
import type { ChatEvent, MessageEvent, SocialEvent } from "./types";
import { startedTyping, stoppedTyping } from "./typing";

function onMessageEvent(event: MessageEvent): void {
  // A message from somebody ends their "typing".
  if (event.event === "create") stoppedTyping(event.message.chat, event.message.sender.id);
  applyMessageEvent(event);
}

function onChatEvent(event: ChatEvent): void {
  if (event.event === "typing" && event.user) startedTyping(event.chat.id, event.user, event.expires_in);
  applyChatEvent(event);
}

type SocialListener = (event: SocialEvent) => void;
const socialListeners = new Set<SocialListener>();

/** Social events (friend requests, likes) for the pages that show them. */
export function onSocialEvent(listener: SocialListener): () => void {
  socialListeners.add(listener);
  return () => socialListeners.delete(listener);
}

async function token(path: string, body?: Record<string, unknown>): Promise<string> {
  try {
    // A token is the same however often it is asked for: a throttled request is asked again (`retries`).
    return (await api<{ token: string }>("POST", path, { body, retries: 1 })).token;
  } catch (error) {
    // The session is gone: the SDK must stop asking instead of retrying forever.
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw new UnauthorizedError(error.message);
    }
    throw error;
  }
}

let client: Centrifuge | null = null;
let stopFollowingChats: () => void = () => undefined;

export function startRealtime(userId: string): void {
  stopRealtime();
  awaitSubscription();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const centrifuge = new Centrifuge(`${scheme}://${location.host}/connection/websocket`, {
    getToken: () => token("centrifugo/connect/"),
    minReconnectDelay: 300,
    maxReconnectDelay: 5000,
  });
  client = centrifuge;
  centrifuge.on("connecting", () => app.set({ connection: "connecting" }));
  centrifuge.on("connected", () => {
    app.set({ connection: "connected", wasConnected: true });
    resendStalled();
  });
  centrifuge.on("disconnected", () => app.set({ connection: "disconnected" }));

  const subscribe = (
    channel: string,
    onData: (data: unknown) => void,
    onSubscribed?: (ctx: SubscribedContext) => void,
  ) => {
    const subscription = centrifuge.newSubscription(channel, {
      getToken: () => token("centrifugo/subscribe/", { channel }),
      minResubscribeDelay: 300,
      maxResubscribeDelay: 5000,
    });
    subscription.on("publication", (ctx) => onData(ctx.data));
    if (onSubscribed) subscription.on("subscribed", onSubscribed);
    subscription.subscribe();
    return subscription;
  };

  let first = true;
  subscribe(
    userId,
    (data) => onMessageEvent(data as MessageEvent),
    (ctx) => {
      const missed = first ? subscriptionStarted() : ctx.wasRecovering && !ctx.recovered;
      first = false;
      if (missed) void catchUp().catch(() => undefined);
    },
  );
  subscribe(
    `chats:${userId}`,
    (data) => onChatEvent(data as ChatEvent),
    (ctx) => {
      if (ctx.wasRecovering && !ctx.recovered) void loadChats().catch(() => undefined);
    },
  );
  subscribe(`social:${userId}`, (data) => {
    for (const listener of socialListeners) listener(data as SocialEvent);
  });

  // Big groups: a subscription per chat whose `channel` is its own, following the chat list (a chat that grows
  // past 100 members is refetched on its chat event and names its channel; one left or deleted is dropped). What
  // was sent before the first subscription, or lost beyond recovery, is caught up over REST.
  const chatChannels = new Map<string, Subscription>();
  let followed: unknown = null;
  const follow = () => {
    const chats = app.get().chats;
    if (chats === followed) return;
    followed = chats;
    const wanted = new Map<string, string>();
    for (const chat of Object.values(chats)) {
      if (chat.channel && chat.channel !== userId) wanted.set(chat.channel, chat.id);
    }
    for (const [channel, subscription] of chatChannels) {
      if (wanted.has(channel)) continue;
      subscription.unsubscribe();
      centrifuge.removeSubscription(subscription);
      chatChannels.delete(channel);
    }
    for (const [channel, chatId] of wanted) {
      if (chatChannels.has(channel)) continue;
      let firstTime = true;
      const subscription = subscribe(
        channel,
        (data) => onMessageEvent(data as MessageEvent),
        (ctx) => {
          const missed = firstTime || (ctx.wasRecovering && !ctx.recovered);
          firstTime = false;
          if (missed) void catchUpChat(chatId).catch(() => undefined);
        },
      );
      chatChannels.set(channel, subscription);
    }
  };
  stopFollowingChats = app.subscribe(follow);
  follow();
  centrifuge.connect();
}

export function stopRealtime(): void {
  stopFollowingChats();
  stopFollowingChats = () => undefined;
  client?.disconnect();
  client?.removeAllListeners();
  client = null;
  app.set({ connection: "disconnected", wasConnected: false });
}
