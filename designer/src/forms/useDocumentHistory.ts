/**
 * Undo/redo over whole document states. Each change pushes the previous state; changes with the
 * same `tag` within a second (typing into one input) fold into one step, so undo takes back a
 * word, not a letter. Documents are immutable values, so a state is just a reference.
 */
import { useCallback, useMemo, useReducer } from 'react';

const LIMIT = 200;
const FOLD_MS = 1000;

interface State<T> { past: T[]; present: T; future: T[]; tag: string | null; at: number }

type Action<T> =
  | { type: 'apply'; update: (d: T) => T; tag?: string; now: number }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'reset'; doc: T };

function reducer<T>(s: State<T>, a: Action<T>): State<T> {
  switch (a.type) {
    case 'apply': {
      const next = a.update(s.present);
      if (next === s.present) return s;
      const fold = a.tag != null && a.tag === s.tag && a.now - s.at < FOLD_MS && s.past.length > 0;
      return {
        past: fold ? s.past : [...s.past, s.present].slice(-LIMIT),
        present: next,
        future: [],
        tag: a.tag ?? null,
        at: a.now,
      };
    }
    case 'undo': {
      if (!s.past.length) return s;
      return { past: s.past.slice(0, -1), present: s.past[s.past.length - 1]!, future: [s.present, ...s.future], tag: null, at: 0 };
    }
    case 'redo': {
      if (!s.future.length) return s;
      return { past: [...s.past, s.present], present: s.future[0]!, future: s.future.slice(1), tag: null, at: 0 };
    }
    case 'reset':
      return { past: [], present: a.doc, future: [], tag: null, at: 0 };
  }
}

export interface DocumentHistory<T> {
  doc: T;
  apply(update: (d: T) => T, tag?: string): void;
  undo(): void;
  redo(): void;
  reset(doc: T): void;
  canUndo: boolean;
  canRedo: boolean;
}

export function useDocumentHistory<T>(initial: T): DocumentHistory<T> {
  const [s, dispatch] = useReducer(reducer<T>, { past: [], present: initial, future: [], tag: null, at: 0 });
  const apply = useCallback((update: (d: T) => T, tag?: string) => dispatch({ type: 'apply', update, tag, now: Date.now() }), []);
  const undo = useCallback(() => dispatch({ type: 'undo' }), []);
  const redo = useCallback(() => dispatch({ type: 'redo' }), []);
  const reset = useCallback((doc: T) => dispatch({ type: 'reset', doc }), []);
  return useMemo(
    () => ({ doc: s.present, apply, undo, redo, reset, canUndo: s.past.length > 0, canRedo: s.future.length > 0 }),
    [s, apply, undo, redo, reset],
  );
}
