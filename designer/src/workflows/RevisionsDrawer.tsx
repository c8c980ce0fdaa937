/** A workflow's published revisions, and rolling back to one (published again as a new revision). */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Drawer, List, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, errorText, get } from '../api';
import './words';

interface Revision { revision: number; publishedAt: string; note: string | null }

export function RevisionsDrawer({ workflowKey, open, onClose, onRolledBack }: {
  workflowKey: string; open: boolean; onClose: () => void; onRolledBack: () => void;
}) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const [revs, setRevs] = useState<Revision[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/meta/workflows/${encodeURIComponent(workflowKey)}`;
  useEffect(() => {
    if (!open) return;
    setError(null);
    get<Revision[]>(`${base}/revisions`).then(setRevs, (e) => setError(errorText(e)));
  }, [open, base]);
  const rollback = (revision: number) => api('POST', `${base}/rollback`, { revision }).then(() => {
    message.success(t('workflows.rolledBack', { revision }));
    onRolledBack();
    onClose();
  }, (e) => setError(errorText(e)));
  return (
    <Drawer open={open} onClose={onClose} title={t('workflows.revisions')} size={480} data-testid="wf-revisions">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <List
        size="small" loading={!revs && !error} dataSource={revs ?? []} locale={{ emptyText: t('workflows.noRevisions') }}
        renderItem={(r, i) => (
          <List.Item
            data-testid={`wf-revision-${r.revision}`}
            actions={i > 0 ? [<Button key="r" size="small" danger onClick={() => modal.confirm({ title: t('workflows.rollbackTitle', { revision: r.revision }), onOk: () => rollback(r.revision) })}>{t('workflows.rollback')}</Button>] : []}
          >
            <Space>
              <Tag color={i === 0 ? 'green' : undefined}>v{r.revision}</Tag>
              <span>{new Date(r.publishedAt).toLocaleString()}</span>
              {r.note && <Typography.Text type="secondary">{r.note}</Typography.Text>}
            </Space>
          </List.Item>
        )}
      />
    </Drawer>
  );
}
