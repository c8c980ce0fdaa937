import { useEffect, useState } from 'react';
import { Alert, Checkbox, Empty, Input, List, Modal, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import type { FormDef } from './model';

export interface PlanStep { op: string; field?: string; fieldId?: string; table: string; column?: string; destructive: boolean; detail?: Record<string, any> }

/**
 * What publishing will do to the tables (POST /plan), before it does it. Steps that lose data
 * are red and each needs its own "I understand" tick before the publish button (which sends
 * confirmDataLoss) is enabled; a soft delete says the data stays.
 */
export function PublishDialog({ steps, doc, busy, error, onCancel, onConfirm }: {
  steps: PlanStep[] | null; doc: FormDef; busy: boolean; error: string | null;
  onCancel: () => void; onConfirm: (confirmDataLoss: boolean, note: string) => void;
}) {
  const { t } = useTranslation();
  const [ticked, setTicked] = useState<Set<number>>(new Set());
  const [note, setNote] = useState('');
  useEffect(() => {
    setTicked(new Set());
    setNote('');
  }, [steps]);
  const destructive = (steps ?? []).map((s, i) => (s.destructive ? i : -1)).filter((i) => i >= 0);
  const allTicked = destructive.every((i) => ticked.has(i));
  const fieldName = (s: PlanStep) => {
    const key = s.field?.split('.')[0];
    const f = doc.fields.find((x) => (s.fieldId && x.id === s.fieldId) || x.key === key);
    return f ? `${label(f.label, f.key)}（${s.field}）` : s.field ?? s.table;
  };
  return (
    <Modal
      open={steps !== null}
      title={t('publish.title')}
      onCancel={onCancel}
      onOk={() => onConfirm(destructive.length > 0, note)}
      okText={t('publish.confirm')}
      okButtonProps={{ disabled: !allTicked, danger: destructive.length > 0, 'data-testid': 'publish-confirm' } as any}
      confirmLoading={busy}
      width={640}
      data-testid="publish-dialog"
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="publish-error" />}
      {destructive.length > 0 && <Alert type="error" showIcon title={t('publish.destructiveTitle', { count: destructive.length })} style={{ marginBottom: 12 }} />}
      {steps && steps.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('publish.noSteps')} />}
      <List
        size="small"
        dataSource={(steps ?? []).map((s, i) => ({ s, i }))}
        renderItem={({ s, i }) => (
          <List.Item style={{ display: 'block' }} data-testid={`plan-step-${s.op}`}>
            <div className={s.destructive ? 'fwd-step-destructive' : undefined}>
              <Tag color={s.destructive ? 'red' : s.op === 'soft_delete' ? 'orange' : s.op.startsWith('create') || s.op === 'add_column' ? 'green' : 'blue'}>{t(`op.${s.op}`, { defaultValue: s.op })}</Tag>
              <Typography.Text strong>{fieldName(s)}</Typography.Text>
              {s.op === 'change_type' && <Typography.Text> {String(s.detail?.from)} → {String(s.detail?.to)}</Typography.Text>}
              <div style={{ fontSize: 12, marginTop: 4 }}>{stepNote(s, t)}</div>
              {s.destructive && (
                <Checkbox
                  style={{ marginTop: 6 }}
                  checked={ticked.has(i)}
                  data-testid={`confirm-loss-${i}`}
                  onChange={(e) => setTicked((prev) => {
                    const n = new Set(prev);
                    if (e.target.checked) n.add(i);
                    else n.delete(i);
                    return n;
                  })}
                >
                  {t('publish.understand')}
                </Checkbox>
              )}
            </div>
          </List.Item>
        )}
      />
      <Input.TextArea placeholder={t('publish.note')} value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} autoSize={{ minRows: 1, maxRows: 3 }} style={{ marginTop: 8 }} />
    </Modal>
  );
}

function stepNote(s: PlanStep, t: (k: string, o?: any) => string): string {
  switch (s.op) {
    case 'soft_delete': return t('publish.softDelete');
    case 'purge': return s.detail?.dropTable ? t('publish.purgeTable', { rows: s.detail?.rows ?? 0 }) : t('publish.purgeColumn', { values: s.detail?.values ?? 0 });
    case 'change_type': return s.destructive ? t('publish.retypeLoss', { failing: s.detail?.failing ?? 0 }) : t('publish.retypeOk');
    case 'restore': return t('publish.restore');
    case 'rename': return t('publish.rename', { from: s.detail?.from, to: s.detail?.to });
    default: return t(`publish.note_${s.op}`, { defaultValue: '' });
  }
}
