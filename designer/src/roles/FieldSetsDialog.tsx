/**
 * A form's field rights for the role: hidden, read-only and masked fields, picked from the
 * published form's fields.
 */
import { useEffect, useState } from 'react';
import { Alert, Form, Modal, Select, Spin } from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText, get } from '../api';
import { label } from '../i18n';
import type { FormDef } from '../../../engine/src/meta/types';
import type { FieldSet } from './model';
import './words';

const SETS = ['hidden', 'readOnly', 'masked'] as const;

export function FieldSetsDialog({ form, formLabel, value, onOk, onCancel }: {
  form: string; formLabel: string; value: FieldSet; onOk: (v: FieldSet) => void; onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [def, setDef] = useState<FormDef | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sets, setSets] = useState<FieldSet>(value);
  useEffect(() => {
    get<FormDef>(`/api/meta/forms/${encodeURIComponent(form)}`).then(setDef, (e) => setError(errorText(e)));
  }, [form]);
  const options = (def?.fields ?? []).filter((f) => !f.deleted).map((f) => ({ value: f.key, label: `${label(f.label, f.key)} (${f.key})` }));
  // Keys no longer on the form stay visible so they can be removed.
  const known = new Set(options.map((o) => o.value));
  const extra = SETS.flatMap((s) => sets[s] ?? []).filter((k) => !known.has(k)).map((k) => ({ value: k, label: `${k} ?` }));
  return (
    <Modal open title={t('roles.fieldSets', { form: formLabel })} onCancel={onCancel} onOk={() => onOk(sets)} okButtonProps={{ 'data-testid': 'field-sets-ok' } as any} width={620} data-testid="field-sets-dialog" destroyOnHidden>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      {!def && !error ? <Spin /> : (
        <Form layout="vertical">
          {SETS.map((s) => (
            <Form.Item key={s} label={t(`roles.${s}`)} extra={t(`roles.${s}Help`)}>
              <Select
                mode="multiple" allowClear showSearch={{ optionFilterProp: 'label' }} data-testid={`field-set-${s}`} id={`field-set-${s}`}
                value={sets[s] ?? []} options={[...options, ...extra]}
                onChange={(v: string[]) => setSets((x) => ({ ...x, [s]: v }))}
              />
            </Form.Item>
          ))}
        </Form>
      )}
    </Modal>
  );
}
