import { memo } from 'react';
import { DeleteOutlined, LockOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { isPublished, type FieldDef } from './model';
import { fieldIcon } from './fieldIcons';

/**
 * What a canvas card shows. Memoised apart from the sortable shell around it (during a drag
 * dnd-kit re-renders every shell on each move; this body is skipped unless its own field
 * changed), and plain elements rather than antd components: a 200-field canvas then holds a few
 * thousand fibers instead of tens of thousands, which React walks on every dnd-kit context change.
 */
export const FieldCardBody = memo(function FieldCardBody({ field, errors, onDelete }: {
  field: FieldDef; errors?: Array<{ path: string; message: string }>; onDelete: (id: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <span className="fwd-card-label">
        {fieldIcon(field.type)} {label(field.label, field.key)}
        {field.required && <span style={{ color: '#ff4d4f' }}> *</span>}
      </span>
      {field.formula !== undefined && <span className="fwd-tag fwd-tag-purple">fx</span>}
      {field.rules && Object.keys(field.rules).length > 0 && <span className="fwd-tag fwd-tag-blue">{t('ruleTag')}</span>}
      {isPublished(field) && <span title={t('publishedField')} className="fwd-lock"><LockOutlined /></span>}
      <button
        type="button" className="fwd-icon-btn" title={t('deleteField')} aria-label={t('deleteField')} data-testid={`delete-${field.key}`}
        onClick={(e) => { e.stopPropagation(); onDelete(field.id); }}
      >
        <DeleteOutlined />
      </button>
      <div className="fwd-card-meta">{t(`type.${field.type}`)} · {field.key}</div>
      {errors?.map((e, i) => <div key={i} className="fwd-card-error" data-testid="field-error">{e.path ? `${e.path}: ` : ''}{e.message}</div>)}
    </>
  );
});
