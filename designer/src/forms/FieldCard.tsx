import { memo, useCallback } from 'react';
import { HolderOutlined } from '@ant-design/icons';
import { useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import type { FieldDef } from './model';
import { FieldCardBody } from './FieldCardBody';
import { useNearViewport } from './useNearViewport';

interface Props {
  field: FieldDef;
  selected: boolean;
  /** The card being dragged: it stays sortable wherever it is. */
  pinned: boolean;
  errors?: Array<{ path: string; message: string }>;
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

// Stable for every card: a drag handle's icon never changes.
const HANDLE_ICON = <HolderOutlined />;

/**
 * A field on the canvas. Memoised: the field object changes only when that field is edited, so
 * an edit re-renders one card. Cards on or near the screen are sortable shells (dnd-kit moves
 * them with a transform) around the memoised body; cards far off screen are the same markup
 * without the sortable hooks, and become sortable as they scroll near (useNearViewport).
 */
export const FieldCard = memo(function FieldCard(props: Props) {
  const [near, observe] = useNearViewport();
  return near || props.pinned ? <SortableCard {...props} observe={observe} /> : <StaticCard {...props} observe={observe} />;
});

type ShellProps = Props & { observe: (el: HTMLElement | null) => void };

const spanOf = (f: FieldDef) => Math.min(24, Math.max(1, f.ui?.span ?? 24));
const classOf = (p: Props, extra = '') => `fwd-card${p.selected ? ' fwd-selected' : ''}${p.errors?.length ? ' fwd-error' : ''}${extra}`;

function SortableCard(p: ShellProps) {
  const { field } = p;
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging, isOver, active } = useSortable({
    id: field.id,
    data: { from: 'canvas' },
  });
  const { observe } = p;
  const ref = useCallback((el: HTMLDivElement | null) => {
    setNodeRef(el);
    observe(el);
  }, [setNodeRef, observe]);
  const fromPalette = isOver && active?.data.current?.from === 'palette';
  return (
    <div
      ref={ref}
      className={classOf(p, `${isDragging ? ' fwd-dragging' : ''}${fromPalette ? ' fwd-drop-before' : ''}`)}
      style={{ gridColumn: `span ${spanOf(field)}`, transform: CSS.Translate.toString(transform), transition }}
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
}

function StaticCard(p: ShellProps) {
  const { field } = p;
  return (
    <div
      ref={p.observe}
      className={classOf(p)}
      style={{ gridColumn: `span ${spanOf(field)}` }}
      data-testid={`field-${field.key}`}
      data-field-id={field.id}
      onClick={() => p.onSelect(field.id)}
    >
      <div className="fwd-card-head">
        <span className="fwd-handle" data-testid={`handle-${field.key}`}>{HANDLE_ICON}</span>
        <FieldCardBody field={field} errors={p.errors} onDelete={p.onDelete} />
      </div>
    </div>
  );
}
