import { memo, useCallback } from 'react';
import { HolderOutlined } from '@ant-design/icons';
import { useDraggable, useDroppable } from '@dnd-kit/core';
import type { FieldDef } from './model';
import { FieldCardBody } from './FieldCardBody';

interface Props {
  field: FieldDef;
  /** Position among the live fields: tells which side of this card a dragged card would land. */
  index: number;
  selected: boolean;
  errors?: Array<{ path: string; message: string }>;
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

/** What a canvas card carries for the drag handlers (FormDesigner) and the drop marker. */
export interface CardDragData { from: 'canvas'; index: number }

// Stable for every card: a drag handle's icon never changes.
const HANDLE_ICON = <HolderOutlined />;

const spanOf = (f: FieldDef) => Math.min(24, Math.max(1, f.ui?.span ?? 24));

/**
 * A field on the canvas: draggable by its handle, and a drop target. Nothing moves while a card
 * is dragged — the dragged card stays in place, dimmed, the DragOverlay follows the pointer, and
 * the card under the pointer shows where the field will land (a line before it, or after it when
 * a canvas card is dragged down: `arrayMove` semantics, as FormDesigner's `moveField` applies).
 *
 * Why not dnd-kit's SortableContext: its items read the public dnd-kit context, which changes on
 * every pointer move, so a 200-field form re-rendered 200 items per move, and each change of the
 * card under the pointer shifted (and transitioned) every card in between. Here the hooks read
 * only dnd-kit's internal context, which changes when a drag starts or ends and when the card
 * under the pointer changes; the body is memoised apart from this shell and re-renders only when
 * its own field changes.
 */
export const FieldCard = memo(function FieldCard(p: Props) {
  const { field, index } = p;
  const { attributes, listeners, setNodeRef: setDragRef, setActivatorNodeRef, isDragging, active } = useDraggable({
    id: field.id,
    data: { from: 'canvas', index } satisfies CardDragData,
  });
  const { setNodeRef: setDropRef, isOver } = useDroppable({ id: field.id });
  const ref = useCallback((el: HTMLDivElement | null) => {
    setDragRef(el);
    setDropRef(el);
  }, [setDragRef, setDropRef]);
  let marker = '';
  if (isOver && !isDragging && active) {
    const data = active.data.current as CardDragData | { from: 'palette' } | undefined;
    marker = data?.from === 'canvas' && data.index < index ? ' fwd-drop-after' : ' fwd-drop-before';
  }
  return (
    <div
      ref={ref}
      className={`fwd-card${p.selected ? ' fwd-selected' : ''}${p.errors?.length ? ' fwd-error' : ''}${isDragging ? ' fwd-dragging' : ''}${marker}`}
      style={{ gridColumn: `span ${spanOf(field)}` }}
      data-testid={`field-${field.key}`}
      data-field-id={field.id}
      onClick={() => p.onSelect(field.id)}
    >
      <div className="fwd-card-head">
        <span ref={setActivatorNodeRef} className="fwd-handle" data-testid={`handle-${field.key}`} {...attributes} {...listeners}>
          {HANDLE_ICON}
        </span>
        <FieldCardBody field={field} errors={p.errors} onDelete={p.onDelete} />
      </div>
    </div>
  );
});
