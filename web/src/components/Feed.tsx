// The posts feed (docs/social.md): publish text and images, like, newest first with cursor paging.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, del, get, post } from "../api";
import { shortTime, t } from "../i18n";
import { onSocialEvent } from "../realtime";
import { app, displayName, errorText } from "../state";
import { useStore } from "../store";
import type { Page, Post } from "../types";
import { Field, UserAvatar } from "./common";
import { HeartIcon } from "./icons";

function NewPost({ onPosted }: { onPosted: (post: Post) => void }) {
  const [images, setImages] = useState<File[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData();
    const description = String(new FormData(formElement).get("description") ?? "").trim();
    if (!description && !images.length) return;
    if (description) form.set("description", description);
    for (const image of images) form.append("images", image);
    setBusy(true);
    setError(null);
    try {
      onPosted(await post<Post>("posts/", form));
      formElement.reset();
      setImages([]);
    } catch (caught) {
      setError(errorText(caught));
    }
    setBusy(false);
  };
  return (
    <form class="card stack" onSubmit={submit} aria-label={t("New post")}>
      <Field label={t("What's new?")}>
        <textarea name="description" rows={3} />
      </Field>
      <div class="row">
        <label class="button">
          {images.length ? t("{n} images", { n: images.length }) : t("Add images")}
          <input
            type="file"
            accept="image/*"
            multiple
            class="visually-hidden"
            onChange={(event) => setImages([...(event.currentTarget.files ?? [])])}
          />
        </label>
        <button class="button primary" disabled={busy}>
          {t("Publish")}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function PostCard({ item, onChange, onDelete }: { item: Post; onChange: (post: Post) => void; onDelete: () => void }) {
  const me = useStore(app, (state) => state.me?.id);
  const card = useRef<HTMLElement>(null);
  const mine = item.author.id === me;
  // Views are counted when a post was really on screen (POST …/view/, once per user; never the author's).
  useEffect(() => {
    if (mine || !card.current) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          void post(`post/${item.id}/view/`).catch(() => undefined);
        }
      },
      { threshold: 0.6 },
    );
    observer.observe(card.current);
    return () => observer.disconnect();
  }, [item.id]);
  const like = async () => {
    try {
      const path = `post/${item.id}/like/`;
      onChange(await (item.liked_by_me ? api<Post>("DELETE", path) : post<Post>(path)));
    } catch {
      // the post is gone: leave it as it is
    }
  };
  return (
    <article class="card post" ref={card} aria-labelledby={`post-${item.id}`} data-post={item.id}>
      <header class="post-header">
        <UserAvatar user={item.author} size={40} />
        <div>
          <p class="post-author" id={`post-${item.id}`}>
            {displayName(item.author)}
          </p>
          <time class="muted" dateTime={item.created_at}>
            {shortTime(item.created_at)}
          </time>
        </div>
        {mine && (
          <button type="button" class="link-button danger" onClick={onDelete}>
            {t("Delete")}
          </button>
        )}
      </header>
      {item.description && <p class="text">{item.description}</p>}
      {item.images.length > 0 && (
        <div class={item.images.length > 1 ? "images grid" : "images"}>
          {item.images.map((image) => (
            <a key={image} href={image} target="_blank" rel="noopener noreferrer">
              <img src={image} alt={t("Image")} loading="lazy" />
            </a>
          ))}
        </div>
      )}
      <footer class="post-footer">
        <button
          type="button"
          class={item.liked_by_me ? "like liked" : "like"}
          aria-pressed={item.liked_by_me}
          onClick={like}
        >
          <HeartIcon filled={item.liked_by_me} />
          <span>{t("Like")}</span>
        </button>
        <span class="likes-count">{t("{n} likes", { n: item.likes_count })}</span>
        {item.recent_likers.length > 0 && (
          <span class="muted">{item.recent_likers.map((user) => displayName(user)).join(", ")}</span>
        )}
      </footer>
    </article>
  );
}

export function Feed() {
  const [posts, setPosts] = useState<Post[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [friendsOnly, setFriendsOnly] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);

  const load = async (link?: string) => {
    setLoading(true);
    try {
      const page = link
        ? await get<Page<Post>>(link)
        : await get<Page<Post>>("posts/", { page_size: 20, friends: friendsOnly ? "on" : undefined });
      setPosts((current) => {
        const known = new Set((link ? current : []).map((item) => item.id));
        return [...(link ? current : []), ...page.results.filter((item) => !known.has(item.id))];
      });
      setNext(page.next);
    } catch (caught) {
      setError(errorText(caught));
    }
    setLoading(false);
  };

  useEffect(() => {
    void load();
  }, [friendsOnly]);

  useEffect(
    () =>
      onSocialEvent((event) => {
        if (event.event === "post_like") {
          setPosts((current) =>
            current.map((item) => (item.id === event.post ? { ...item, likes_count: event.likes_count } : item)),
          );
        }
      }),
    [],
  );

  useEffect(() => {
    if (!next || !sentinel.current) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !loading) void load(next);
    });
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [next, loading]);

  const replace = (changed: Post) =>
    setPosts((current) => current.map((item) => (item.id === changed.id ? changed : item)));
  const remove = async (item: Post) => {
    try {
      await del(`post/${item.id}/`);
    } catch (caught) {
      if (!(caught instanceof ApiError && caught.status === 404)) return setError(errorText(caught));
    }
    setPosts((current) => current.filter((other) => other.id !== item.id));
  };

  return (
    <section class="page-content" aria-labelledby="feed-title">
      <div class="row spread">
        <h1 id="feed-title">{t("Feed")}</h1>
        <label class="toggle">
          <input
            type="checkbox"
            checked={friendsOnly}
            onChange={(event) => setFriendsOnly(event.currentTarget.checked)}
          />
          {t("Friends only")}
        </label>
      </div>
      <NewPost onPosted={(created) => setPosts((current) => [created, ...current])} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="posts" role="feed" aria-busy={loading ? "true" : "false"} aria-label={t("Posts")}>
        {posts.map((item) => (
          <PostCard key={item.id} item={item} onChange={replace} onDelete={() => void remove(item)} />
        ))}
      </div>
      {!loading && !posts.length && <p class="empty">{t("No posts yet.")}</p>}
      {next && (
        <div ref={sentinel} class="list-sentinel">
          {loading ? t("Loading…") : ""}
        </div>
      )}
    </section>
  );
}
