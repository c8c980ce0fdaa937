/** A role's published revisions: what changed from the one before (GET …/diff) and rolling back. */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Drawer, Empty, List, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, errorText, get } from '../api';
import './words';

interface Revision { revision: number; publishedAt: string; note: string | null }
interface Change { path: string; op: 'add' | 'remove' | 'change'; from?: unknown; to?: unknown }

const short = (v: unknown) => {
  if (v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 90 ? s.slice(0, 87) + '…' : s;
};

export function RoleRevisions({ roleKey, open, onClose, onRolledBack }: { roleKey: string; open: boolean; onClose: () => void; onRolledBack: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [revs, setRevs] = useState<Revision[] | null>(null);
  const [diffs, setDiffs] = useState<Record<number, Change[]>>({});
  const [error, setError] = useState<string | null>(null);
  const base = `/api/meta/roles/${encodeURIComponent(roleKey)}`;
  useEffect(() => {
    if (!open) return;
    setError(null);
    setDiffs({});
    get<Revision[]>(`${base}/revisions`).then(setRevs, (e) => setError(errorText(e)));
  }, [open, roleKey]);
  const compare = (rev: number) =>
    get<Change[]>(`${base}/diff?from=${rev - 1}&to=${rev}`).then((d) => setDiffs((x) => ({ ...x, [rev]: d })), (e) => setError(errorText(e)));
  const rollback = (revision: number) =>
    api('POST', `${base}/rollback`, { revision }).then(() => {
      message.success(t('roles.rolledBack'));
      onRolledBack();
      onClose();
    }, (e) => setError(errorText(e)));
  return (
    <Drawer open={open} onClose={onClose} title={t('roles.revisions')} size={640} data-testid="role-revisions">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      {revs && !revs.length && <Empty description={t('roles.noRevisions')} />}
      <List
        dataSource={revs ?? []}
        renderItem={(r, i) => (
          <List.Item data-testid={`role-revision-${r.revision}`}>
            <div style={{ width: '100%' }}>
              <Space wrap>
                <Tag color={i === 0 ? 'green' : undefined}>v{r.revision}</Tag>
                <Typography.Text type="secondary">{new Date(r.publishedAt).toLocaleString()}</Typography.Text>
                {r.note && <Typography.Text>{r.note}</Typography.Text>}
                {r.revision > 1 && !diffs[r.revision] && <Button size="small" onClick={() => void compare(r.revision)}>{t('roles.compare')}</Button>}
                {i > 0 && <Button size="small" danger onClick={() => void rollback(r.revision)}>{t('roles.rollback')}</Button>}
              </Space>
              {diffs[r.revision] && (
                diffs[r.revision]!.length === 0 ? <div><Typography.Text type="secondary">{t('roles.noChanges')}</Typography.Text></div> : (
                  <ul style={{ margin: '6px 0 0', paddingInlineStart: 18, fontSize: 12 }}>
                    {diffs[r.revision]!.map((c, j) => (
                      <li key={j}><Typography.Text code>{c.path}</Typography.Text> {c.op === 'change' ? `${short(c.from)} → ${short(c.to)}` : c.op === 'add' ? `+ ${short(c.to)}` : `− ${short(c.from)}`}</li>
                    ))}
                  </ul>
                )
              )}
            </div>
          </List.Item>
        )}
      />
    </Drawer>
  );
}
