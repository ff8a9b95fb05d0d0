// History-API routing: nginx answers every client path with index.html, so these URLs survive a reload.
import { createStore, useStore } from "./store";

const route = createStore({ path: location.pathname });

addEventListener("popstate", () => route.set({ path: location.pathname }));

export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  route.set({ path });
}

export function usePath(): string {
  return useStore(route, (state) => state.path);
}

/** A click on an in-app link: navigate without a page load (modified clicks open a tab as usual). */
export function follow(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const anchor = (event.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!anchor?.href || anchor.origin !== location.origin) return;
  event.preventDefault();
  navigate(anchor.pathname);
}

export function chatIdFrom(path: string): string | null {
  const match = path.match(/^\/chat\/([0-9a-f-]{36})\/?$/i);
  return match ? match[1] : null;
}
