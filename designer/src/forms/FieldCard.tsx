import { memo } from 'react';
import { Button, Tag, Tooltip } from 'antd';
import { DeleteOutlined, HolderOutlined, LockOutlined } from '@ant-design/icons';
import { useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { isPublished, type FieldDef } from './model';
import { fieldIcon } from './fieldIcons';

interface Props {
  field: FieldDef;
  selected: boolean;
  errors?: Array<{ path: string; message: string }>;
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

/**
 * A field on the canvas. Memoised on its props: the field object changes only when that field
 * is edited, so a drag or an edit re-renders the cards it touches and leaves the rest alone.
 */
export const FieldCard = memo(function FieldCard({ field, selected, errors, onSelect, onDelete }: Props) {
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging, isOver, active } = useSortable({
    id: field.id,
    data: { from: 'canvas' },
  });
  const span = Math.min(24, Math.max(1, field.ui?.span ?? 24));
  const fromPalette = isOver && active?.data.current?.from === 'palette';
  const cls = ['fwd-card', selected && 'fwd-selected', errors?.length && 'fwd-error', isDragging && 'fwd-dragging'].filter(Boolean).join(' ');
  return (
    <div
      ref={setNodeRef}
      className={cls}
      style={{
        gridColumn: `span ${span}`,
        transform: CSS.Translate.toString(transform),
        transition,
        ...(fromPalette ? { boxShadow: 'inset 0 3px 0 #1677ff' } : {}),
      }}
      data-testid={`field-${field.key}`}
      data-field-id={field.id}
      onClick={() => onSelect(field.id)}
    >
      <div className="fwd-card-head">
        <span ref={setActivatorNodeRef} className="fwd-handle" data-testid={`handle-${field.key}`} {...attributes} {...listeners} aria-label={t('dragToMove')}>
          <HolderOutlined />
        </span>
        {fieldIcon(field.type)}
        <span className="fwd-card-label">
          {label(field.label, field.key)}
          {field.required && <span style={{ color: '#ff4d4f' }}> *</span>}
        </span>
        {field.formula !== undefined && <Tag color="purple" style={{ marginInlineEnd: 0 }}>fx</Tag>}
        {field.rules && Object.keys(field.rules).length > 0 && <Tag color="blue" style={{ marginInlineEnd: 0 }}>{t('ruleTag')}</Tag>}
        {isPublished(field) && <Tooltip title={t('publishedField')}><LockOutlined style={{ color: '#bbb' }} /></Tooltip>}
        <Button
          size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('deleteField')} data-testid={`delete-${field.key}`}
          onClick={(e) => { e.stopPropagation(); onDelete(field.id); }}
        />
      </div>
      <div className="fwd-card-meta">{t(`type.${field.type}`)} · {field.key}</div>
      {errors?.map((e, i) => <div key={i} className="fwd-card-error" data-testid="field-error">{e.path ? `${e.path}: ` : ''}{e.message}</div>)}
    </div>
  );
});
