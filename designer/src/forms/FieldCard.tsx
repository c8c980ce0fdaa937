import { memo, useCallback } from 'react';
import { HolderOutlined } from '@ant-design/icons';
import { useDraggable } from '@dnd-kit/core';
import type { FieldDef } from './model';
import { FieldCardBody } from './FieldCardBody';

interface Props {
  field: FieldDef;
  selected: boolean;
  /** This card is the one being dragged (dimmed in place while the DragOverlay follows the pointer). */
  dragging: boolean;
  errors?: Array<{ path: string; message: string }>;
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

/** What a canvas card carries for the drag handlers (FormDesigner) and the drop marker. */
export interface CardDragData { from: 'canvas' }

const CARD_DATA: CardDragData = { from: 'canvas' };

// Stable for every card: a drag handle's icon never changes.
const HANDLE_ICON = <HolderOutlined />;

const spanOf = (f: FieldDef) => Math.min(24, Math.max(1, f.ui?.span ?? 24));

/**
 * The drag handle, the only part of a card that talks to dnd-kit. useDraggable reads dnd-kit's
 * internal context, which changes when a drag starts, ends, or enters or leaves the canvas; then
 * only these 200 small components re-render, not the cards around them. The card's own element
 * is the draggable node (its rect places the DragOverlay when the drag starts).
 */
const CardHandle = memo(function CardHandle({ id, fieldKey }: { id: string; fieldKey: string }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef } = useDraggable({ id, data: CARD_DATA });
  const ref = useCallback((el: HTMLElement | null) => {
    setActivatorNodeRef(el);
    setNodeRef(el?.closest<HTMLElement>('.fwd-card') ?? null);
  }, [setActivatorNodeRef, setNodeRef]);
  return (
    <span ref={ref} className="fwd-handle" data-testid={`handle-${fieldKey}`} {...attributes} {...listeners}>
      {HANDLE_ICON}
    </span>
  );
});

/**
 * A field on the canvas: draggable by its handle. Nothing moves while a card is dragged — the
 * dragged card stays in place, dimmed, the DragOverlay follows the pointer, and one marker on the
 * canvas shows where the field will land (a line before the card under the pointer, or after it
 * when a canvas card is dragged down: `arrayMove` semantics, as FormDesigner's `moveField`
 * applies). Cards are not droppables (dropTarget.ts says why) and do not know their position, so
 * a card re-renders only when its own field, selection, errors or dragged state change (not when
 * a drop moves the cards around it), and its body (memoised apart) only when its field changes.
 */
export const FieldCard = memo(function FieldCard(p: Props) {
  const { field } = p;
  const { onSelect } = p;
  const select = useCallback(() => onSelect(field.id), [onSelect, field.id]);
  return (
    <div
      className={`fwd-card${p.selected ? ' fwd-selected' : ''}${p.errors?.length ? ' fwd-error' : ''}${p.dragging ? ' fwd-dragging' : ''}`}
      style={{ gridColumn: `span ${spanOf(field)}` }}
      data-testid={`field-${field.key}`}
      data-field-id={field.id}
      onClick={select}
    >
      <div className="fwd-card-head">
        <CardHandle id={field.id} fieldKey={field.key} />
        <FieldCardBody field={field} errors={p.errors} onDelete={p.onDelete} />
      </div>
    </div>
  );
});
