/**
 * Whether an element is on screen or near it (one IntersectionObserver shared by every caller).
 * The canvas uses it to give dnd-kit's sortable hooks only to the cards that can be reached
 * without scrolling far: dnd-kit re-renders every sortable item on each pointer move of a drag,
 * so a 200-field form would otherwise re-render 200 items per move.
 */
import { useCallback, useRef, useState } from 'react';

const MARGIN = '600px 0px';
const callbacks = new Map<Element, (near: boolean) => void>();
let observer: IntersectionObserver | null = null;

function shared(): IntersectionObserver {
  observer ??= new IntersectionObserver((entries) => {
    for (const e of entries) callbacks.get(e.target)?.(e.isIntersecting);
  }, { rootMargin: MARGIN });
  return observer;
}

export function useNearViewport(): [boolean, (el: HTMLElement | null) => void] {
  const [near, setNear] = useState(false);
  const current = useRef<HTMLElement | null>(null);
  const ref = useCallback((el: HTMLElement | null) => {
    if (current.current === el) return;
    if (current.current) {
      shared().unobserve(current.current);
      callbacks.delete(current.current);
    }
    current.current = el;
    if (el) {
      callbacks.set(el, setNear);
      shared().observe(el);
    }
  }, []);
  return [near, ref];
}
