/**
 * A condition node's branches, in order: key, name and the json-logic that selects it (the form
 * designer's rule builder over the trigger form's fields). The else branch is always there.
 */
import { memo } from 'react';
import { Button, Card, Input, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { KEY_RE } from '../../../engine/src/meta/types';
import { LabelInput } from '../forms/LabelInput';
import { RuleBuilder } from '../forms/RuleBuilder';
import type { FieldDef } from '../forms/model';
import type { ConditionBranch, Label } from './model';
import './words';

export const ConditionBranches = memo(function ConditionBranches({ nodeId, branches, fields, onChange }: {
  nodeId: string; branches: ConditionBranch[]; fields: FieldDef[]; onChange: (b: ConditionBranch[], tag: string) => void;
}) {
  const { t } = useTranslation();
  const set = (i: number, patch: Partial<ConditionBranch>, tag: string) => onChange(branches.map((b, j) => (j === i ? { ...b, ...patch } : b)), `${nodeId}:branch:${i}:${tag}`);
  const fresh = () => {
    const taken = new Set(branches.map((b) => b.key));
    let n = branches.length + 1;
    while (taken.has(`branch_${n}`)) n++;
    return { key: `branch_${n}`, label: { 'zh-CN': `分支${n}`, en: `Branch ${n}` }, when: null };
  };
  return (
    <div data-testid="wf-condition-branches">
      <Typography.Text type="secondary">{t('workflows.branches')}</Typography.Text>
      {branches.map((b, i) => (
        <Card key={i} size="small" style={{ marginTop: 8 }} data-testid={`wf-branch-${i}`}
          title={<Input size="small" value={b.key} style={{ width: 140 }} status={KEY_RE.test(b.key) ? undefined : 'error'} data-testid={`wf-branch-${i}-key`}
            aria-label={t('workflows.branchKey')} onChange={(e) => set(i, { key: e.target.value }, 'key')} />}
          extra={<Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('delete')} disabled={branches.length <= 1}
            onClick={() => onChange(branches.filter((_, j) => j !== i), `${nodeId}:branches`)} />}
        >
          <LabelInput id={`wf-branch-${i}-label`} value={b.label as Label | undefined} onChange={(l) => set(i, { label: l }, 'label')} />
          <div style={{ marginTop: 6 }}>
            <RuleBuilder value={b.when ?? undefined} onChange={(v) => set(i, { when: v ?? null }, 'when')} fields={fields} testId={`wf-branch-${i}-when`} />
          </div>
        </Card>
      ))}
      <Button size="small" icon={<PlusOutlined />} style={{ marginTop: 8 }} data-testid="wf-add-branch" onClick={() => onChange([...branches, fresh()], `${nodeId}:branches`)}>
        {t('workflows.addBranch')}
      </Button>
      <div style={{ marginTop: 8 }}><Typography.Text type="secondary">{t('workflows.elseBranch')}</Typography.Text></div>
    </div>
  );
});
