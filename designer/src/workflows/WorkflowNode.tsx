/**
 * One node on the canvas: its name and type, a handle in (unless it is the start) and one handle
 * out per branch (a condition's branches and else, an approval's approved / rejected) or its one
 * way out. The server's problems with the node show on it (red border and the messages); a dry
 * run's path marks the nodes it passes, numbered, with what each would do.
 */
import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { Tooltip } from 'antd';
import { ExclamationCircleFilled } from '@ant-design/icons';
import { label, msgText } from '../i18n';
import type { NodeDef, NodeTypeFacts } from './model';

export interface WfNodeData extends Record<string, unknown> {
  node: NodeDef;
  info: NodeTypeFacts | undefined;
  branches: Array<{ key: string; text: string }>;
  errors: string[];
  /** 1-based places on the dry run's path (a node may be passed twice). */
  steps: number[];
  notes: string[];
}

export type WfNode = Node<WfNodeData, 'wf'>;

export const GROUP_COLOR: Record<string, string> = { flow: '#1677ff', human: '#fa8c16', data: '#52c41a', message: '#722ed1', time: '#13c2c2' };

export const WorkflowNode = memo(function WorkflowNode({ data, selected }: NodeProps<WfNode>) {
  const { node, info, branches, errors, steps, notes } = data;
  const color = GROUP_COLOR[info?.group ?? 'flow'] ?? '#999';
  const width = Math.max(180, branches.length * 72);
  const onPath = steps.length > 0;
  const cls = ['fww-node', selected ? 'fww-selected' : '', errors.length ? 'fww-error' : '', onPath ? 'fww-on-path' : ''].filter(Boolean).join(' ');
  const typeText = info ? msgText(info.label, node.type) : node.type;
  const body = (
    <div className={cls} style={{ width, borderTopColor: errors.length ? undefined : color }} data-testid={`wf-node-${node.id}`} data-on-path={onPath ? 'true' : undefined} data-error={errors.length ? 'true' : undefined}>
      {info?.inputs !== 'none' && <Handle type="target" position={Position.Top} data-testid={`wf-handle-${node.id}-in`} />}
      <div className="fww-node-head">
        {onPath && <span className="fww-step" data-testid={`wf-step-${node.id}`}>{steps.join(',')}</span>}
        <span className="fww-node-label">{label(node.label, typeText)}</span>
        {errors.length > 0 && <ExclamationCircleFilled style={{ color: '#ff4d4f' }} />}
      </div>
      <div className="fww-node-type"><span style={{ color }}>{typeText}</span> · <code>{node.id}</code></div>
      {errors.length > 0 && (
        <div className="fww-node-errors" data-testid={`wf-node-errors-${node.id}`}>
          {errors.slice(0, 3).map((e, i) => <div key={i}>{e}</div>)}
          {errors.length > 3 && <div>…</div>}
        </div>
      )}
      {branches.length > 0 && (
        <div className="fww-branches">
          {branches.map((b) => <span key={b.key} className="fww-branch" title={b.key}>{b.text}</span>)}
        </div>
      )}
      {branches.map((b, i) => (
        <Handle
          key={b.key} id={b.key} type="source" position={Position.Bottom}
          style={{ left: `${((i + 0.5) / branches.length) * 100}%` }}
          data-testid={`wf-handle-${node.id}-${b.key}`}
        />
      ))}
      {branches.length === 0 && info?.outputs !== 'none' && <Handle type="source" position={Position.Bottom} data-testid={`wf-handle-${node.id}-out`} />}
    </div>
  );
  return onPath && notes.length ? <Tooltip title={notes.join(' / ')} placement="right">{body}</Tooltip> : body;
});
