// A minimal observable store: immutable state, subscribers, and a hook that re-renders a component only when the
// slice it selects changes (Object.is). Enough for one app; no library needed.
import { useEffect, useReducer, useRef } from "preact/hooks";

export interface Store<T> {
  get(): T;
  set(update: Partial<T> | ((state: T) => Partial<T>)): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(update) {
      const patch = typeof update === "function" ? update(state) : update;
      state = { ...state, ...patch };
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T, S>(store: Store<T>, selector: (state: T) => S): S {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const selected = selector(store.get());
  const latest = useRef({ selector, selected });
  latest.current = { selector, selected };
  useEffect(() => {
    const check = () => {
      const { selector: select, selected: previous } = latest.current;
      if (!Object.is(select(store.get()), previous)) rerender(0);
    };
    const unsubscribe = store.subscribe(check);
    // Effects run after the next frame: a change made between the render and now (the session's answer on a
    // busy machine or in a background tab) reached no listener.
    check();
    return unsubscribe;
  }, [store]);
  return selected;
}
