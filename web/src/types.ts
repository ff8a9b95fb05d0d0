// The API's shapes (docs/api-chats.md, docs/realtime.md, docs/social.md): what the client reads of them.

export type Id = string;

export interface User {
  id: Id;
  username: string;
  first_name: string;
  last_name: string;
  bio: string | null;
  avatar: string | null;
  last_online_at: string | null;
  is_online: boolean;
}

/** The user as seen by themself (GET /api/user/current/). */
export interface Me extends User {
  email: string | null;
  status: string | null;
  language?: string;
}

export interface FileRef {
  item: string;
  /** The name it was sent under (the stored one is unguessable); absent from payloads older than it. */
  name?: string;
  /** Images: a preview at most 320 px a side, and the image's size (null for other files, or files stored earlier). */
  thumbnail?: string | null;
  width?: number | null;
  height?: number | null;
}

export interface Reaction {
  emoji: string;
  count: number;
  /** Who reacted, earliest first. */
  users: Id[];
}

export interface ReplyRef {
  id: Id;
  text: string | null;
  voice: string | null;
  sender: User;
  created_at: string;
}

export interface Message {
  id: Id;
  text: string | null;
  voice: string | null;
  chat: Id;
  sender: User;
  files: FileRef[];
  was_read_by: User[];
  reply_to?: ReplyRef | null;
  /** A forwarded copy: the original's sender (null: account gone) and time. */
  forwarded_from?: { sender: User | null; chat: Id | null; created_at: string } | null;
  mentions?: Id[];
  reactions?: Reaction[];
  pinned_at?: string | null;
  pinned_by?: Id | null;
  created_at: string;
  updated_at: string;
}

export interface Chat {
  id: Id;
  title: string;
  members: User[];
  creator: User;
  avatar: string | null;
  created_at: string;
  updated_at: string;
  is_private: boolean;
  last_message: Message | null;
  unread_messages_count: number;
  is_muted?: boolean;
  muted_until?: string | null;
  unread_mentions_count?: number;
  pinned_message?: Message | null;
  /** How many members: `members` is empty in a big group (more than 100 members). */
  members_count?: number;
  /** Where the chat's message events come from: my personal channel, or a big group's `chat:<id>`. */
  channel?: string;
}

/** A hit of `GET /api/messages/search/`: the snippet is HTML-escaped text with each match in `<mark>`. */
export interface SearchHit {
  message: Message;
  snippet: string;
}

/** `GET /api/chats/unread/` and the `unread` event's totals: chats that are not muted. */
export interface UnreadTotals {
  unread_messages: number;
  unread_chats: number;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface Post {
  id: Id;
  author: User;
  description: string;
  images: string[];
  likes_count: number;
  liked_by_me: boolean;
  recent_likers: User[];
  views: number;
  created_at: string;
  updated_at: string;
}

export interface FriendRequest {
  id: Id;
  from_user: User;
  to_user: User;
  created_at: string;
}

export interface FriendResult {
  user: User;
  user_is_friend: boolean;
  request: FriendRequest | null;
}

/** Publications of the personal channel `<user id>`. */
export type MessageEvent =
  | { event: "create" | "update" | "delete" | "read"; message: Message }
  | { event: "read_all"; message: { chat: Id; user: Id; messages: Id[] } };

/** Publications of `chats:<user id>`. */
export interface ChatEvent {
  event: "chat_create" | "chat_update" | "chat_delete" | "member_joined" | "member_left" | "typing" | "unread";
  chat: { id: Id };
  members_added?: Id[];
  members_removed?: Id[];
  users?: Id[];
  /** `typing` */
  user?: User;
  expires_in?: number;
  /** `unread` */
  totals?: UnreadTotals;
}

/** Publications of `social:<user id>`. */
export type SocialEvent =
  | { event: "friend_request"; request: FriendRequest }
  | { event: "friend_accept"; request: Id; user: User }
  | { event: "post_like"; post: Id; likes_count: number; user: User };
