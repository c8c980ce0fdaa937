/** Who has the role (GET /api/users; roles are assigned in user management, not here). */
import { useEffect, useState } from 'react';
import { Space, Tag, Typography } from 'antd';
import { UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { get } from '../api';
import './words';

interface UserRow { id: number; username: string; displayName: string; roles: string[]; disabled?: boolean }

export function useUsers(): UserRow[] | null {
  const [users, setUsers] = useState<UserRow[] | null>(null);
  useEffect(() => {
    get<UserRow[]>('/api/users').then(setUsers, () => setUsers([]));
  }, []);
  return users;
}

export function RoleUsers({ roleKey }: { roleKey: string }) {
  const { t } = useTranslation();
  const users = useUsers();
  if (!users) return null;
  const mine = users.filter((u) => u.roles?.includes(roleKey));
  return (
    <div style={{ marginTop: 12 }} data-testid="role-users">
      <Typography.Text type="secondary">{t('roles.usersOf')}：</Typography.Text>{' '}
      {mine.length === 0 ? <Typography.Text type="secondary">{t('roles.noUsers')}</Typography.Text> : (
        <Space size={[4, 4]} wrap style={{ display: 'inline-flex' }}>
          {mine.map((u) => <Tag key={u.id} icon={<UserOutlined />} color={u.disabled ? undefined : 'blue'}>{u.displayName || u.username}</Tag>)}
        </Space>
      )}
    </div>
  );
}
