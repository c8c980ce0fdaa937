/** The json-logic row condition of a form's entry ($user.* variables, the form's fields, _owner, _dept). */
import { useEffect, useState } from 'react';
import { Modal, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { get } from '../api';
import { JsonLogicEditor } from '../forms/JsonLogicEditor';
import type { FormDef } from '../../../engine/src/meta/types';
import './words';

const SYSTEM_KEYS = ['id', '_owner', '_dept', '_createdBy', '_createdAt', '_updatedAt'];

export function RowRuleDialog({ form, formLabel, value, onOk, onCancel }: {
  form: string; formLabel: string; value: unknown; onOk: (rule: unknown) => void; onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [rule, setRule] = useState<unknown>(value);
  const [keys, setKeys] = useState<Set<string>>(new Set(SYSTEM_KEYS));
  useEffect(() => {
    get<FormDef>(`/api/meta/forms/${encodeURIComponent(form)}`).then(
      (d) => setKeys(new Set([...SYSTEM_KEYS, ...d.fields.filter((f) => !f.deleted).map((f) => f.key)])),
      () => undefined,
    );
  }, [form]);
  return (
    <Modal open title={t('roles.ruleTitle', { form: formLabel })} onCancel={onCancel} onOk={() => onOk(rule)} okButtonProps={{ 'data-testid': 'row-rule-ok' } as any} width={620} data-testid="row-rule-dialog" destroyOnHidden>
      <Typography.Paragraph type="secondary">{t('roles.ruleHelp')}</Typography.Paragraph>
      <JsonLogicEditor value={rule} onChange={setRule} fieldKeys={keys} testId="row-rule-json" />
    </Modal>
  );
}
