/**
 * Where a dragged field will land on the canvas, computed without making every card a dnd-kit
 * droppable.
 *
 * Why: every useDroppable / useDraggable reads dnd-kit's internal context, whose value changes
 * whenever the droppable under the pointer changes. With each of 200 cards a droppable, that
 * happened every few frames while the window auto-scrolled under the pointer, and each time
 * every card re-rendered (the frames over 16 ms of `bench/designer-drag.js`). Here the canvas is
 * the only droppable: the collision detection finds the card under the pointer itself, from card
 * boxes measured once per drag relative to the canvas (nothing on the canvas moves during a drag),
 * and hands it on as the canvas collision's `data.target`. The canvas reads it (useDndContext) and
 * shows one drop marker; FormDesigner's onDragEnd reads it from the event's collisions.
 */
import type { ClientRect, Collision, CollisionDetection, DroppableContainer, KeyboardCoordinateGetter, UniqueIdentifier } from '@dnd-kit/core';
import { KeyboardCode } from '@dnd-kit/core';

export const CANVAS_ID = 'canvas';

/** A card's border box relative to the canvas's border box. */
export interface CardBox { id: string; index: number; top: number; left: number; bottom: number; right: number }
/** A card to drop on (before it, or after it when a canvas card is dragged down), or `end`: append. */
export type DropTarget = { id: string; index: number; box: CardBox } | 'end';

interface Snapshot { boxes: CardBox[]; clientTop: number; clientLeft: number }
/** Per droppable-rect map (dnd-kit makes a new one when it measures, i.e. when a drag starts). */
const snapshots = new WeakMap<Map<UniqueIdentifier, ClientRect>, Snapshot>();

function snapshotOf(rects: Map<UniqueIdentifier, ClientRect>, canvas: HTMLElement): Snapshot {
  let snap = snapshots.get(rects);
  if (!snap) {
    const c = canvas.getBoundingClientRect();
    const boxes: CardBox[] = [];
    canvas.querySelectorAll<HTMLElement>('[data-field-id]').forEach((el, index) => {
      const r = el.getBoundingClientRect();
      boxes.push({ id: el.dataset.fieldId!, index, top: r.top - c.top, left: r.left - c.left, bottom: r.bottom - c.top, right: r.right - c.left });
    });
    snap = { boxes, clientTop: canvas.clientTop, clientLeft: canvas.clientLeft };
    snapshots.set(rects, snap);
  }
  return snap;
}

const contains = (b: CardBox, x: number, y: number) => b.top <= y && y <= b.bottom && b.left <= x && x <= b.right;
const distance = (b: CardBox, x: number, y: number) => Math.hypot(Math.max(b.left - x, 0, x - b.right), Math.max(b.top - y, 0, y - b.bottom));

/** The card under canvas-relative (x, y); between cards the nearest one; below the last card, `end`. */
function targetAt(boxes: CardBox[], x: number, y: number): DropTarget {
  if (!boxes.length) return 'end';
  let best: CardBox | null = null;
  let bestD = Infinity;
  let lowest = -Infinity;
  for (const b of boxes) {
    if (contains(b, x, y)) return { id: b.id, index: b.index, box: b };
    const d = distance(b, x, y);
    if (d < bestD) [best, bestD] = [b, d];
    lowest = Math.max(lowest, b.bottom);
  }
  if (y > lowest || !best) return 'end';
  return { id: best.id, index: best.index, box: best };
}

function canvasOf(containers: DroppableContainer[], rects: Map<UniqueIdentifier, ClientRect>) {
  const container = containers.find((c) => c.id === CANVAS_ID);
  const rect = rects.get(CANVAS_ID);
  const node = container?.node.current;
  if (!container || !rect || !node) return null;
  return { container, rect, snap: snapshotOf(rects, node) };
}

/**
 * The canvas when the pointer is over it (or above or below it), carrying the card the field would land on. A keyboard
 * drag (no pointer) lands on the card under the dragged item's top-left corner (where the
 * keyboard coordinates below put it), else the nearest card.
 */
export const collision: CollisionDetection = ({ droppableContainers, droppableRects, pointerCoordinates: p, collisionRect }) => {
  const canvas = canvasOf(droppableContainers, droppableRects);
  if (!canvas) return [];
  const { top, left, bottom, right } = canvas.rect;
  let target: DropTarget;
  if (p) {
    // Beside the canvas (over the palette, say): no target, the drop does nothing. Above or
    // below it: the nearest end of the form.
    if (p.x < left || p.x > right) return [];
    target = targetAt(canvas.snap.boxes, p.x - left, Math.min(Math.max(p.y, top), bottom) - top);
  } else {
    const x = collisionRect.left + 1 - left;
    const y = collisionRect.top + 1 - top;
    const under = canvas.snap.boxes.find((b) => contains(b, x, y));
    if (under) target = { id: under.id, index: under.index, box: under };
    else {
      const cx = collisionRect.left + collisionRect.width / 2 - left;
      const cy = collisionRect.top + collisionRect.height / 2 - top;
      let best: CardBox | null = null;
      for (const b of canvas.snap.boxes) if (!best || Math.hypot((b.left + b.right) / 2 - cx, (b.top + b.bottom) / 2 - cy) < Math.hypot((best.left + best.right) / 2 - cx, (best.top + best.bottom) / 2 - cy)) best = b;
      if (!best) return [];
      target = { id: best.id, index: best.index, box: best };
    }
  }
  const hit: Collision = { id: CANVAS_ID, data: { droppableContainer: canvas.container, value: 0, target } };
  return [hit];
};

/** The drop target a drag's collisions carry (null: not over the canvas). */
export const targetOf = (collisions: Collision[] | null | undefined): DropTarget | null =>
  (collisions?.[0]?.id === CANVAS_ID ? (collisions[0].data?.target as DropTarget | undefined) ?? null : null);

/** Canvas-relative box to the canvas's padding box (where its absolutely placed children sit). */
export function markerBoxOf(rects: Map<UniqueIdentifier, ClientRect>, box: CardBox) {
  const snap = snapshots.get(rects);
  return { top: box.top - (snap?.clientTop ?? 0), left: box.left - (snap?.clientLeft ?? 0), width: box.right - box.left, height: box.bottom - box.top };
}

const DIRECTIONS: string[] = [KeyboardCode.Down, KeyboardCode.Up, KeyboardCode.Left, KeyboardCode.Right];

/**
 * Arrow keys during a keyboard drag: the dragged item's top-left corner goes to the top-left
 * corner of the nearest card in that direction (what sortableKeyboardCoordinates did with every
 * card a droppable).
 */
export const keyboardCoordinates: KeyboardCoordinateGetter = (event, { context }) => {
  if (!DIRECTIONS.includes(event.code)) return undefined;
  event.preventDefault();
  const { collisionRect, droppableRects, droppableContainers } = context;
  if (!collisionRect) return undefined;
  const canvas = canvasOf(droppableContainers.getEnabled(), droppableRects);
  if (!canvas) return undefined;
  const x = collisionRect.left - canvas.rect.left;
  const y = collisionRect.top - canvas.rect.top;
  let best: CardBox | null = null;
  let bestD = Infinity;
  for (const b of canvas.snap.boxes) {
    const ok = event.code === KeyboardCode.Down ? b.top > y + 1 : event.code === KeyboardCode.Up ? b.top < y - 1 : event.code === KeyboardCode.Right ? b.left > x + 1 : b.left < x - 1;
    if (!ok) continue;
    const d = Math.hypot(b.left - x, b.top - y);
    if (d < bestD) [best, bestD] = [b, d];
  }
  return best ? { x: canvas.rect.left + best.left, y: canvas.rect.top + best.top } : undefined;
};
