/** The roles list: every role document with its state and users, and "new role". */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Input, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { errorText, get } from '../../api';
import { label } from '../../i18n';
import { navigate } from '../../router';
import { STATUS_COLOR, type DocumentSummary } from '../Forms/index';
import { NewRoleDialog } from '../../roles/NewRoleDialog';
import { useUsers } from '../../roles/RoleUsers';
import '../../roles/words';

export default function RolesPage() {
  const { t } = useTranslation();
  const [items, setItems] = useState<DocumentSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState(false);
  const users = useUsers();
  useEffect(() => void get<DocumentSummary[]>('/api/meta/roles').then(setItems, (e) => setError(errorText(e))), []);
  const shown = useMemo(() => {
    const s = q.trim().toLowerCase();
    return (items ?? []).filter((d) => !s || d.key.includes(s) || label(d.label).toLowerCase().includes(s));
  }, [items, q]);
  const countOf = (key: string) => (users ?? []).filter((u) => u.roles?.includes(key)).length;
  return (
    <div data-testid="roles-list">
      <Space style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('roles.title')}</Typography.Title>
        <Space>
          <Input.Search allowClear placeholder={t('search')} onChange={(e) => setQ(e.target.value)} style={{ width: 240 }} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-role">{t('roles.new')}</Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Table<DocumentSummary>
        rowKey="key" size="middle" loading={!items && !error} dataSource={shown} pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(r) => ({ onClick: () => void navigate(`/roles/${r.key}`), style: { cursor: 'pointer' }, 'data-testid': `role-row-${r.key}` } as any)}
        columns={[
          { title: t('roles.label'), dataIndex: 'label', render: (l, r) => <a href={`/designer/roles/${r.key}`} onClick={(e) => e.preventDefault()}>{label(l, r.key)}</a> },
          { title: t('roles.key'), dataIndex: 'key', render: (k) => <Typography.Text code>{k}</Typography.Text> },
          { title: t('roles.module'), dataIndex: 'module', render: (m) => m ?? '—' },
          { title: t('roles.users'), key: 'users', render: (_, r) => (users ? countOf(r.key) : '…') },
          { title: t('roles.revision'), dataIndex: 'revision', render: (r) => (r == null ? '—' : `v${r}`) },
          { title: t('roles.status'), dataIndex: 'status', render: (s: DocumentSummary['status']) => <Tag color={STATUS_COLOR[s]}>{t(`status.${s}`)}</Tag> },
        ]}
      />
      <NewRoleDialog open={creating} taken={new Set((items ?? []).map((d) => d.key))} onClose={() => setCreating(false)} />
    </div>
  );
}
