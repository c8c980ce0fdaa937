import { useEffect, useState } from 'react';
import { Alert, Card, Col, Empty, List, Row, Spin, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { get } from '../api';
import { label } from '../i18n';
import { Link } from '../router';

export function DashboardsPage({ dashboard }: { dashboard?: string }) {
  const { t } = useTranslation();
  const [items, setItems] = useState<Array<{ key: string; label: unknown; module?: string }> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ items: any[] }>('/api/dashboards').then((r) => setItems(r.items), (e) => setError(e.message));
  }, []);
  if (error) return <Alert type="error" title={error} />;
  if (!items) return <Spin />;
  return (
    <div>
      <Typography.Title level={4} style={{ marginTop: 0 }}>{t('dashboards')}</Typography.Title>
      {items.length === 0 ? <Empty /> : (
        <List dataSource={items} renderItem={(d) => <List.Item><Link to={`/dashboards/${d.key}`}>{label(d.label, d.key)}</Link></List.Item>} />
      )}
      {dashboard && <Card><Row><Col>{dashboard}</Col></Row></Card>}
    </div>
  );
}
