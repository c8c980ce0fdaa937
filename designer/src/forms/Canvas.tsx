import { Fragment, memo, useMemo } from 'react';
import { Empty } from 'antd';
import { useDroppable } from '@dnd-kit/core';
import { useTranslation } from 'react-i18next';
import { FieldCard } from './FieldCard';
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
 * heading where `ui.section` changes. A drop target for the palette (append at the end); each
 * card is a drop target and a draggable (FieldCard).
 */
export const Canvas = memo(function Canvas({ fields, selectedId, errors, onSelect, onDelete }: Props) {
  const { t } = useTranslation();
  const { setNodeRef, isOver } = useDroppable({ id: 'canvas' });
  // The canvas re-renders whenever the drop target changes (useDroppable); the grid is the same
  // element then, so React skips it (each card follows the drag through its own hooks).
  const grid = useMemo(() => (
    <div className="fwd-grid">
      {fields.map((f, i) => {
        const section = f.ui?.section ?? '';
        const heading = section && section !== (fields[i - 1]?.ui?.section ?? '');
        return (
          <Fragment key={f.id}>
            {heading && <div className="fwd-section" data-testid={`section-${section}`}>{section}</div>}
            <FieldCard field={f} index={i} selected={f.id === selectedId} errors={errors.get(f.id) ?? NO_ERRORS} onSelect={onSelect} onDelete={onDelete} />
          </Fragment>
        );
      })}
    </div>
  ), [fields, selectedId, errors, onSelect, onDelete]);
  return (
    <div ref={setNodeRef} className={`fwd-canvas${isOver ? ' fwd-over' : ''}`} data-testid="canvas">
      {fields.length === 0 && <Empty description={t('canvasEmpty')} style={{ padding: 48 }} />}
      {grid}
    </div>
  );
});
