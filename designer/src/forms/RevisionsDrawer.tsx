import { useEffect, useState } from 'react';
import { Alert, App, Button, Checkbox, Drawer, List, Select, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, get } from '../api';
import { label } from '../i18n';
import type { FormDef } from './model';

interface Revision { revision: number; publishedAt: string; publishedBy: number | null; note: string | null; steps: unknown[] }
interface Change { path: string; op: 'add' | 'remove' | 'change'; from?: unknown; to?: unknown }

const short = (v: unknown) => {
  if (v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
};

/** Published revisions of a form: what changed between two (GET …/diff) and rolling back to one. */
export function RevisionsDrawer({ formKey, open, onClose, onRolledBack }: {
  formKey: string; open: boolean; onClose: () => void; onRolledBack: () => void;
}) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const [revs, setRevs] = useState<Revision[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pair, setPair] = useState<{ from?: number; to?: number }>({});
  const [diff, setDiff] = useState<Change[] | null>(null);
  const [toDoc, setToDoc] = useState<FormDef | null>(null);
  const base = `/api/meta/forms/${encodeURIComponent(formKey)}`;

  useEffect(() => {
    if (!open) return;
    setError(null);
    get<Revision[]>(`${base}/revisions`).then((r) => {
      setRevs(r);
      if (r.length >= 2) setPair({ from: r[1]!.revision, to: r[0]!.revision });
      else setPair({});
      setDiff(null);
    }, (e) => setError(errorText(e)));
  }, [open, formKey]);

  useEffect(() => {
    if (pair.from === undefined || pair.to === undefined) return;
    setDiff(null);
    Promise.all([
      get<Change[]>(`${base}/diff?from=${pair.from}&to=${pair.to}`),
      get<FormDef>(`${base}/revisions/${pair.to}`),
    ]).then(([d, doc]) => { setDiff(d); setToDoc(doc); }, (e) => setError(errorText(e)));
  }, [pair.from, pair.to]);

  /** '/fields/3/label/zh-CN' → the field's name, then the rest. */
  const where = (path: string) => {
    const m = /^\/fields\/(\d+)(\/.*)?$/.exec(path);
    const f = m && toDoc ? toDoc.fields[Number(m[1])] : undefined;
    return f ? <span><b>{label(f.label, f.key)}</b> <Typography.Text type="secondary">{m![2] ?? ''}</Typography.Text></span> : path;
  };

  const rollback = (revision: number, confirmDataLoss = false) => {
    api('POST', `${base}/rollback`, { revision, ...(confirmDataLoss ? { confirmDataLoss: true } : {}) }).then(
      () => {
        message.success(t('revisions.rolledBack', { revision }));
        onRolledBack();
        onClose();
      },
      (e) => {
        if (e instanceof ApiError && e.code === 'data_loss') {
          let ok = false;
          modal.confirm({
            title: e.message,
            content: <Checkbox onChange={(x) => (ok = x.target.checked)}>{t('publish.understand')}</Checkbox>,
            okButtonProps: { danger: true },
            onOk: () => (ok ? rollback(revision, true) : Promise.reject(new Error('not confirmed'))),
          });
        } else setError(errorText(e));
      },
    );
  };

  const options = (revs ?? []).map((r) => ({ value: r.revision, label: `v${r.revision}` }));
  return (
    <Drawer open={open} onClose={onClose} title={t('revisions.title')} size={720} data-testid="revisions-drawer">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <List
        size="small"
        loading={!revs && !error}
        dataSource={revs ?? []}
        locale={{ emptyText: t('revisions.none') }}
        renderItem={(r, i) => (
          <List.Item
            data-testid={`revision-${r.revision}`}
            actions={[
              r.revision > 1 && <Button key="d" size="small" onClick={() => setPair({ from: r.revision - 1, to: r.revision })}>{t('revisions.changes')}</Button>,
              i > 0 && (
                <Button key="r" size="small" danger data-testid={`rollback-${r.revision}`} onClick={() => modal.confirm({
                  title: t('revisions.rollbackTitle', { revision: r.revision }),
                  content: t('revisions.rollbackBody', { revision: r.revision }),
                  onOk: () => rollback(r.revision),
                })}>{t('revisions.rollback')}</Button>
              ),
            ].filter(Boolean)}
          >
            <Space>
              <Tag color={i === 0 ? 'green' : undefined}>v{r.revision}</Tag>
              <span>{new Date(r.publishedAt).toLocaleString()}</span>
              {r.note && <Typography.Text type="secondary">{r.note}</Typography.Text>}
            </Space>
          </List.Item>
        )}
      />
      {options.length >= 2 && (
        <div style={{ marginTop: 16 }}>
          <Space style={{ marginBottom: 8 }}>
            {t('revisions.compare')}
            <Select size="small" style={{ width: 90 }} options={options} value={pair.from} onChange={(from) => setPair((p) => ({ ...p, from }))} data-testid="diff-from" />
            →
            <Select size="small" style={{ width: 90 }} options={options} value={pair.to} onChange={(to) => setPair((p) => ({ ...p, to }))} data-testid="diff-to" />
          </Space>
          <Table<Change>
            size="small"
            rowKey={(c) => c.path + c.op}
            loading={diff === null}
            dataSource={diff ?? []}
            pagination={false}
            data-testid="diff-table"
            locale={{ emptyText: t('revisions.same') }}
            columns={[
              { title: t('revisions.where'), dataIndex: 'path', render: (p) => where(p) },
              { title: t('revisions.op'), dataIndex: 'op', width: 80, render: (op) => <Tag color={op === 'add' ? 'green' : op === 'remove' ? 'red' : 'blue'}>{t(`revisions.${op}`)}</Tag> },
              { title: t('revisions.before'), dataIndex: 'from', render: short },
              { title: t('revisions.after'), dataIndex: 'to', render: short },
            ]}
          />
        </div>
      )}
    </Drawer>
  );
}
