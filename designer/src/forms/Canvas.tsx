import { Fragment, memo, useMemo, type CSSProperties } from 'react';
import { Empty } from 'antd';
import { useDndContext, useDroppable } from '@dnd-kit/core';
import { useTranslation } from 'react-i18next';
import { FieldCard, type CardDragData } from './FieldCard';
import { CANVAS_ID, markerBoxOf, targetOf } from './dropTarget';
import type { FieldDef, PlacedErrors } from './model';

interface Props {
  fields: FieldDef[];
  selectedId: string | null;
  errors: PlacedErrors['byField'];
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

const NO_ERRORS: Array<{ path: string; message: string }> = [];

/**
 * The form as it will be laid out: a 24-column grid (each card spans its field's `ui.span`), a
 * heading where `ui.section` changes. The one drop target of the form designer (dropTarget.ts):
 * while a field is dragged over it, one marker shows where it will land — a line at the top of
 * the card under the pointer (or at its bottom when a canvas card is dragged down), or the whole
 * canvas highlighted when it will be appended at the end.
 */
export const Canvas = memo(function Canvas({ fields, selectedId, errors, onSelect, onDelete }: Props) {
  const { t } = useTranslation();
  const { setNodeRef } = useDroppable({ id: CANVAS_ID });
  // Re-renders on every pointer move of a drag (the public dnd-kit context); the grid is the same
  // element then, so React skips it, and only the marker's style changes when the target does.
  const { active, collisions, droppableRects } = useDndContext();
  const draggingId = active?.id ?? null;
  const grid = useMemo(() => (
    <div className="fwd-grid">
      {fields.map((f, i) => {
        const section = f.ui?.section ?? '';
        const heading = section && section !== (fields[i - 1]?.ui?.section ?? '');
        return (
          <Fragment key={f.id}>
            {heading && <div className="fwd-section" data-testid={`section-${section}`}>{section}</div>}
            <FieldCard field={f} selected={f.id === selectedId} dragging={f.id === draggingId} errors={errors.get(f.id) ?? NO_ERRORS} onSelect={onSelect} onDelete={onDelete} />
          </Fragment>
        );
      })}
    </div>
  ), [fields, selectedId, draggingId, errors, onSelect, onDelete]);
  const target = active ? targetOf(collisions) : null;
  const draggedIndex = useMemo(() => (draggingId == null ? -1 : fields.findIndex((f) => f.id === draggingId)), [fields, draggingId]);
  // The marker is a compositor layer of its own (app.css) moved and sized by its transform and
  // shown by its opacity: values the compositor changes without repainting anything. Moved by
  // left/top/width, or shown by display, it made Chromium repaint the whole canvas each time the
  // card under the pointer changed (the frames over 16 ms left after dnd-kit's re-renders).
  let marker: CSSProperties = active ? { opacity: 0 } : { display: 'none' };
  let markerSide = '';
  if (target && target !== 'end' && target.id !== draggingId) {
    const data = active!.data.current as CardDragData | { from: 'palette' } | undefined;
    const after = data?.from === 'canvas' && draggedIndex >= 0 && draggedIndex < target.index;
    const b = markerBoxOf(droppableRects, target.box);
    marker = { transform: `translate(${b.left}px, ${after ? b.top + b.height - 3 : b.top}px) scaleX(${b.width})` };
    markerSide = after ? 'after' : 'before';
  }
  return (
    <div ref={setNodeRef} className={`fwd-canvas${target === 'end' ? ' fwd-over' : ''}`} data-testid="canvas">
      {fields.length === 0 && <Empty description={t('canvasEmpty')} style={{ padding: 48 }} />}
      {grid}
      {/* Always mounted: adding or removing a node above the dragged card makes dnd-kit measure it again. */}
      <div className="fwd-drop-marker" style={marker} data-side={markerSide || undefined} data-testid="drop-marker" aria-hidden />
    </div>
  );
});
