/**
 * The selected edge: where it goes, the branch of its source it leaves by, its text, and — when
 * it leaves a condition by one of its branches — that branch's rule, edited right here.
 */
import { memo } from 'react';
import { Alert, Button, Form, Select, Typography } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { RuleBuilder } from '../forms/RuleBuilder';
import type { FieldDef } from '../forms/model';
import type { ConditionBranch, EdgeDef, NodeDef } from './model';
import './words';

export const EdgeSettings = memo(function EdgeSettings({ edge, source, target, branches, fields, errors, onUpdate, onUpdateSource, onDelete }: {
  edge: EdgeDef; source: NodeDef | undefined; target: NodeDef | undefined; branches: Array<{ key: string; text: string }>;
  fields: FieldDef[]; errors: string[];
  onUpdate: (update: (e: EdgeDef) => EdgeDef, tag: string) => void;
  onUpdateSource: (update: (n: NodeDef) => NodeDef, tag: string) => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  const name = (n: NodeDef | undefined, id: string) => (n ? `${label(n.label, n.id)} (${n.id})` : id);
  const condBranches = source?.type === 'condition' ? ((source.config?.branches as ConditionBranch[] | undefined) ?? []) : [];
  const at = condBranches.findIndex((b) => b.key === edge.branch);
  return (
    <div data-testid="wf-edge-settings">
      {errors.length > 0 && <Alert type="error" showIcon style={{ marginBottom: 12 }} title={<div>{errors.map((e, i) => <div key={i}>{e}</div>)}</div>} />}
      <Form layout="vertical" size="small" component="div">
        <Form.Item label={t('workflows.edge')}>
          <Typography.Text>{name(source, edge.source)} → {name(target, edge.target)}</Typography.Text>
        </Form.Item>
        {branches.length > 0 && (
          <Form.Item label={t('workflows.branch')}>
            <Select
              id="wf-edge-branch" value={edge.branch} data-testid="wf-edge-branch"
              options={branches.map((b) => ({ value: b.key, label: `${b.text} (${b.key})` }))}
              onChange={(b: string) => onUpdate((e) => ({ ...e, branch: b }), `${edge.id}:branch`)}
            />
          </Form.Item>
        )}
        <Form.Item label={t('workflows.edgeLabel')}>
          <LabelInput id="wf-edge-label" value={edge.label} onChange={(l) => onUpdate((e) => {
            const out = { ...e };
            if (l === undefined) delete out.label;
            else out.label = l;
            return out;
          }, `${edge.id}:label`)} />
        </Form.Item>
        {at >= 0 && (
          <Form.Item label={t('workflows.branchCondition')}>
            <RuleBuilder
              key={`${edge.id}:${edge.branch}`}
              value={condBranches[at]!.when ?? undefined}
              fields={fields}
              testId="wf-edge-condition"
              onChange={(v) => onUpdateSource((n) => ({
                ...n,
                config: { ...(n.config ?? {}), branches: condBranches.map((b, j) => (j === at ? { ...b, when: v ?? null } : b)) },
              }), `${source!.id}:branch:${at}:when`)}
            />
          </Form.Item>
        )}
      </Form>
      <Button danger icon={<DeleteOutlined />} onClick={onDelete} data-testid="wf-delete-edge">{t('workflows.deleteEdge')}</Button>
    </div>
  );
});
