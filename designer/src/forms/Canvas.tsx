import { Fragment, memo } from 'react';
import { Empty } from 'antd';
import { useDroppable } from '@dnd-kit/core';
import { rectSortingStrategy, SortableContext } from '@dnd-kit/sortable';
import { useTranslation } from 'react-i18next';
import { FieldCard } from './FieldCard';
import type { FieldDef, PlacedErrors } from './model';

interface Props {
  fields: FieldDef[];
  selectedId: string | null;
  /** The field being dragged, if any. */
  activeId: string | null;
  errors: PlacedErrors['byField'];
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

const NO_ERRORS: Array<{ path: string; message: string }> = [];

/**
 * The form as it will be laid out: a 24-column grid (each card spans its field's `ui.span`), a
 * heading where `ui.section` changes. A drop target for the palette and a sortable list.
 */
export const Canvas = memo(function Canvas({ fields, selectedId, activeId, errors, onSelect, onDelete }: Props) {
  const { t } = useTranslation();
  const { setNodeRef, isOver } = useDroppable({ id: 'canvas' });
  const ids = fields.map((f) => f.id);
  return (
    <div ref={setNodeRef} className={`fwd-canvas${isOver ? ' fwd-over' : ''}${activeId ? ' fwd-sorting' : ''}`} data-testid="canvas">
      {fields.length === 0 && <Empty description={t('canvasEmpty')} style={{ padding: 48 }} />}
      <SortableContext items={ids} strategy={rectSortingStrategy}>
        <div className="fwd-grid">
          {fields.map((f, i) => {
            const section = f.ui?.section ?? '';
            const heading = section && section !== (fields[i - 1]?.ui?.section ?? '');
            return (
              <Fragment key={f.id}>
                {heading && <div className="fwd-section" data-testid={`section-${section}`}>{section}</div>}
                <FieldCard field={f} selected={f.id === selectedId} pinned={f.id === activeId} errors={errors.get(f.id) ?? NO_ERRORS} onSelect={onSelect} onDelete={onDelete} />
              </Fragment>
            );
          })}
        </div>
      </SortableContext>
    </div>
  );
});
