/** What installing or upgrading a bundle would do (POST /api/packs/plan): documents, tables, dependencies. */
import { Alert, Descriptions, List, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { InstallPlan } from './model';
import './words';

export const ACTION_COLOR: Record<string, string> = { add: 'green', update: 'blue', unchanged: 'default', conflict: 'red' };

export function PlanView({ plan }: { plan: InstallPlan }) {
  const { t } = useTranslation();
  const conflicts = plan.documents.filter((d) => d.action === 'conflict').length;
  return (
    <div data-testid="pack-plan">
      <Descriptions size="small" column={2} bordered style={{ marginBottom: 12 }} items={[
        { key: 'name', label: t('packs.name'), children: <Typography.Text code>{plan.pack.name}</Typography.Text> },
        { key: 'version', label: t('packs.version'), children: plan.pack.version },
        { key: 'installed', label: t('packs.installed'), children: plan.pack.installed ?? t('packs.notInstalled') },
        {
          key: 'what', label: t('packs.action'),
          children: <span data-testid="plan-mode">{plan.pack.installed ? t('packs.willUpgrade', { from: plan.pack.installed, to: plan.pack.version }) : t('packs.willInstall')}</span>,
        },
      ]} />
      {conflicts > 0 && !plan.pack.installed && <Alert type="warning" showIcon title={t('packs.conflictHint')} style={{ marginBottom: 12 }} />}
      {plan.dependencies.length > 0 && (
        <div style={{ marginBottom: 12 }}>
          <Typography.Text strong>{t('packs.dependencies')}：</Typography.Text>{' '}
          {plan.dependencies.map((d) => <Tag key={d.name} color={d.ok ? 'green' : 'red'}>{d.name} {d.range} · {d.installed ?? '—'} · {d.ok ? t('packs.depOk') : t('packs.depMissing')}</Tag>)}
        </div>
      )}
      <Table
        size="small" rowKey={(d) => `${d.kind}/${d.key}`} pagination={false} title={() => <b>{t('packs.documents')}</b>}
        dataSource={plan.documents}
        onRow={(d) => ({ 'data-testid': `plan-doc-${d.kind}-${d.key}` } as any)}
        columns={[
          { title: t('packs.kind'), dataIndex: 'kind', render: (k) => t(`packs.kinds.${k}`, { defaultValue: k }) },
          { title: t('packs.key'), dataIndex: 'key', render: (k) => <Typography.Text code>{k}</Typography.Text> },
          { title: t('packs.action'), dataIndex: 'action', render: (a) => <Tag color={ACTION_COLOR[a]} data-testid="plan-action">{t(`packs.actions.${a}`)}</Tag> },
        ]}
      />
      {plan.tables.length > 0 && (
        <List
          size="small" style={{ marginTop: 12 }} header={<b>{t('packs.tables')}</b>} bordered
          dataSource={plan.tables}
          renderItem={(tb) => (
            <List.Item data-testid={`plan-table-${tb.form}`}>
              <div style={{ width: '100%' }}>
                <Typography.Text code>{tb.table}</Typography.Text> {tb.create && <Tag color="green">{t('packs.newTable')}</Tag>}
                {tb.steps.length === 0 ? <Typography.Text type="secondary"> {t('packs.noSteps')}</Typography.Text> : (
                  <ul style={{ margin: '4px 0 0', paddingInlineStart: 18 }}>
                    {tb.steps.map((s, i) => (
                      <li key={i} style={s.destructive ? { color: '#cf1322' } : undefined} data-testid={s.destructive ? 'plan-step-destructive' : undefined}>
                        {s.op}{s.field ? ` ${s.field}` : ''}{s.destructive ? ` — ${t('packs.destructive')}` : ''}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </List.Item>
          )}
        />
      )}
    </div>
  );
}
