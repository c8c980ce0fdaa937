/**
 * The selected node: its problems, id, name, and settings — a condition's branches with their
 * rules, any other type's settings form rendered from its registered JSON Schema.
 */
import { memo, useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Tag } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { KEY_RE } from '../../../engine/src/meta/types';
import { msgText } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import type { FieldDef } from '../forms/model';
import { ConditionBranches } from './ConditionBranches';
import { GROUP_COLOR } from './WorkflowNode';
import type { ConditionBranch, NodeDef, NodeTypeFacts } from './model';
import { SchemaForm } from './SchemaForm';
import './words';

export const NodeSettings = memo(function NodeSettings({ node, info, takenIds, fields, errors, onUpdate, onRename, onDelete }: {
  node: NodeDef; info: NodeTypeFacts | undefined; takenIds: Set<string>; fields: FieldDef[]; errors: string[];
  onUpdate: (update: (n: NodeDef) => NodeDef, tag: string) => void; onRename: (to: string) => void; onDelete: () => void;
}) {
  const { t } = useTranslation();
  const [id, setId] = useState(node.id);
  useEffect(() => setId(node.id), [node.id]);
  const idProblem = id === node.id ? null : !KEY_RE.test(id) ? t('keyPattern') : takenIds.has(id) ? t('keyTaken') : null;
  const commitId = () => {
    if (id !== node.id && !idProblem) onRename(id);
  };
  const setConfig = (config: Record<string, unknown> | undefined) => onUpdate((n) => {
    const out = { ...n };
    if (config === undefined) delete out.config;
    else out.config = config;
    return out;
  }, `${node.id}:config`);
  return (
    <div data-testid="wf-node-settings">
      {errors.length > 0 && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid="wf-node-panel-errors" title={<div>{errors.map((e, i) => <div key={i}>{e}</div>)}</div>} />
      )}
      <Form layout="vertical" size="small" component="div">
        <Form.Item label={<span>{t('workflows.nodeId')} <Tag color={GROUP_COLOR[info?.group ?? 'flow']}>{info ? msgText(info.label, node.type) : node.type}</Tag></span>}
          extra={t('workflows.nodeIdHelp')} validateStatus={idProblem ? 'error' : undefined} help={idProblem ?? undefined}>
          <Input id="wf-node-id" value={id} maxLength={48} onChange={(e) => setId(e.target.value)} onBlur={commitId} onPressEnter={commitId} />
        </Form.Item>
        <Form.Item label={t('workflows.nodeLabel')}>
          <LabelInput id="wf-node-label" value={node.label} onChange={(l) => onUpdate((n) => {
            const out = { ...n };
            if (l === undefined) delete out.label;
            else out.label = l;
            return out;
          }, `${node.id}:label`)} />
        </Form.Item>
      </Form>
      {node.type === 'condition' ? (
        <ConditionBranches
          nodeId={node.id}
          branches={((node.config?.branches as ConditionBranch[] | undefined) ?? [])}
          fields={fields}
          onChange={(branches, tag) => onUpdate((n) => ({ ...n, config: { ...(n.config ?? {}), branches } }), tag)}
        />
      ) : info ? (
        <SchemaForm key={node.id} schema={info.configSchema} value={node.config} onChange={setConfig} testId="wf-node-config" />
      ) : null}
      <Button danger icon={<DeleteOutlined />} style={{ marginTop: 12 }} onClick={onDelete} data-testid="wf-delete-node">{t('workflows.deleteNode')}</Button>
    </div>
  );
});
