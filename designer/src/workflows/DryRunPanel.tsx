/**
 * The dry run: pick a record of the trigger's form and, per approval node, approve or reject;
 * the server walks the canvas as it is (unsaved edits included) without side effects and
 * answers the path, which the canvas highlights. Nothing is written.
 */
import { memo, useEffect, useRef, useState } from 'react';
import { Alert, Button, Empty, Form, Select, Segmented, Space, Tag, Timeline, Typography } from 'antd';
import { PlayCircleOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, get } from '../api';
import { label } from '../i18n';
import type { FormDef } from '../forms/model';
import type { DryRunResult, NodeDef, WorkflowDef } from './model';
import './words';

interface RecordOption { value: number; label: string }

export const DryRunPanel = memo(function DryRunPanel({ doc, form, result, busy, error, onRun, onClear }: {
  doc: WorkflowDef; form: FormDef | null; result: DryRunResult | null; busy: boolean; error: string | null;
  onRun: (record: number, decisions: Record<string, 'approve' | 'reject'>) => void; onClear: () => void;
}) {
  const { t } = useTranslation();
  const [record, setRecord] = useState<number | undefined>(undefined);
  const [options, setOptions] = useState<RecordOption[]>([]);
  const [decisions, setDecisions] = useState<Record<string, 'approve' | 'reject'>>({});
  const seq = useRef(0);
  const formKey = doc.trigger.form;

  const search = (q: string) => {
    if (!formKey) return;
    const n = ++seq.current;
    const title = form?.titleField;
    get<{ items: Array<Record<string, unknown>> }>(`/api/records/${encodeURIComponent(formKey)}?pageSize=20${q ? `&q=${encodeURIComponent(q)}` : ''}`).then((r) => {
      if (n !== seq.current) return;
      setOptions(r.items.map((x) => ({ value: Number(x.id), label: `#${x.id}${title && x[title] != null ? ` ${String(x[title])}` : ''}` })));
    }, () => setOptions([]));
  };
  useEffect(() => search(''), [formKey, form?.titleField]);

  if (!formKey) return <Alert type="info" showIcon title={t('workflows.dryRun.noForm')} />;
  const approvals = doc.nodes.filter((n) => n.type === 'approval');
  const nodeName = (id: string, fallback?: NodeDef) => {
    const n = doc.nodes.find((x) => x.id === id) ?? fallback;
    return n ? label(n.label, n.id) : id;
  };
  return (
    <div data-testid="wf-dry-run">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('workflows.dryRun.help')}</Typography.Paragraph>
      <Form layout="vertical" size="small" component="div">
        <Form.Item label={t('workflows.dryRun.record')}>
          <Select
            id="wf-dry-record" showSearch filterOption={false} value={record} placeholder={t('workflows.dryRun.pickRecord')}
            options={options} onSearch={search} onChange={(v: number) => setRecord(v)} data-testid="wf-dry-record"
          />
        </Form.Item>
        {approvals.length > 0 && (
          <Form.Item label={t('workflows.dryRun.decisions')}>
            {approvals.map((n) => (
              <div key={n.id} style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 4 }}>
                <span>{label(n.label, n.id)}</span>
                <Segmented
                  size="small" value={decisions[n.id] ?? 'approve'} data-testid={`wf-decision-${n.id}`}
                  options={[{ value: 'approve', label: t('workflows.dryRun.approve') }, { value: 'reject', label: t('workflows.dryRun.reject') }]}
                  onChange={(v) => setDecisions((d) => ({ ...d, [n.id]: v as 'approve' | 'reject' }))}
                />
              </div>
            ))}
          </Form.Item>
        )}
        <Space>
          <Button type="primary" icon={<PlayCircleOutlined />} disabled={record === undefined} loading={busy} data-testid="wf-dry-run-go"
            onClick={() => record !== undefined && onRun(record, Object.fromEntries(Object.entries(decisions).filter(([id]) => approvals.some((a) => a.id === id))))}>
            {t('workflows.dryRun.run')}
          </Button>
          {result && <Button onClick={onClear}>{t('workflows.dryRun.clear')}</Button>}
        </Space>
      </Form>
      {error && <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} data-testid="wf-dry-run-error" />}
      {result && (
        <div style={{ marginTop: 12 }} data-testid="wf-dry-run-result">
          <Alert type={result.triggered ? 'success' : 'warning'} showIcon title={result.trigger} style={{ marginBottom: 8 }} />
          <div style={{ marginBottom: 8 }}>
            {t('workflows.dryRun.outcome')}: <Tag color={result.outcome === 'completed' ? 'green' : result.outcome === 'rejected' ? 'red' : 'orange'} data-testid="wf-dry-outcome">
              {t(`workflows.dryRun.outcomes.${result.outcome}`)}
            </Tag>
          </div>
          {result.path.length ? (
            <Timeline
              items={result.path.map((s, i) => ({
                key: i,
                content: (
                  <div data-testid={`wf-dry-step-${i}`}>
                    <b>{i + 1}. {nodeName(s.node)}</b> <Typography.Text code>{s.node}</Typography.Text>
                    {s.branch && <Tag style={{ marginInlineStart: 4 }}>{s.branch}</Tag>}
                    <div style={{ fontSize: 12, color: '#666' }}>{s.note}</div>
                  </div>
                ),
              }))}
            />
          ) : <Empty />}
          {Object.keys(result.changes).length > 0 && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('workflows.dryRun.changes')}: {Object.entries(result.changes).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}
            </Typography.Text>
          )}
        </div>
      )}
    </div>
  );
});

/** POST …/dry-run with the canvas as it is. */
export function runDry(key: string, doc: WorkflowDef, record: number, decisions: Record<string, 'approve' | 'reject'>) {
  return api<DryRunResult>('POST', `/api/meta/workflows/${encodeURIComponent(key)}/dry-run`, { record, decisions, document: doc });
}
