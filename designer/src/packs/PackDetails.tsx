/** An installed pack: its manifest and each document's provenance and local changes (GET /api/packs/:name). */
import { useEffect, useState } from 'react';
import { Alert, Descriptions, Drawer, Spin, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText, get } from '../api';
import { label } from '../i18n';
import './words';

interface PackInfo {
  name: string; version: string; installedAt: string;
  manifest: { label?: unknown; description?: unknown; engine?: string; modules?: string[]; dependencies?: Record<string, string> };
  documents: Array<{ kind: string; key: string; version: string; checksum: string; installedAt: string; localChanges: number }>;
}

export function PackDetails({ name, onClose }: { name: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [info, setInfo] = useState<PackInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setInfo(null);
    setError(null);
    if (name) get<PackInfo>(`/api/packs/${encodeURIComponent(name)}`).then(setInfo, (e) => setError(errorText(e)));
  }, [name]);
  return (
    <Drawer open={!!name} onClose={onClose} size={760} title={name ? `${t('packs.details')}：${name}` : ''} data-testid="pack-details">
      {error && <Alert type="error" showIcon title={error} />}
      {!info && !error && <Spin />}
      {info && (
        <>
          <Descriptions size="small" column={2} bordered style={{ marginBottom: 12 }} items={[
            { key: 'label', label: t('packs.label'), children: label(info.manifest.label, info.name) },
            { key: 'version', label: t('packs.version'), children: info.version },
            { key: 'engine', label: t('packs.engine'), children: info.manifest.engine ?? '—' },
            { key: 'at', label: t('packs.installedAt'), children: new Date(info.installedAt).toLocaleString() },
            { key: 'modules', label: t('packs.modules'), children: (info.manifest.modules ?? []).map((m) => <Tag key={m}>{m}</Tag>) },
            { key: 'deps', label: t('packs.dependencies'), children: Object.entries(info.manifest.dependencies ?? {}).map(([n, r]) => <Tag key={n}>{n} {r}</Tag>) },
            { key: 'desc', label: t('packs.description'), span: 2, children: label(info.manifest.description, '—') },
          ]} />
          <Table
            size="small" rowKey={(d) => `${d.kind}/${d.key}`} pagination={false} title={() => <b>{t('packs.provenance')}</b>} dataSource={info.documents}
            columns={[
              { title: t('packs.kind'), dataIndex: 'kind', render: (k) => t(`packs.kinds.${k}`, { defaultValue: k }) },
              { title: t('packs.key'), dataIndex: 'key', render: (k) => <Typography.Text code>{k}</Typography.Text> },
              { title: t('packs.version'), dataIndex: 'version' },
              { title: t('packs.localChanges'), dataIndex: 'localChanges', render: (n: number) => (n ? <Tag color="orange">{n}</Tag> : <Typography.Text type="secondary">0</Typography.Text>) },
              { title: t('packs.checksum'), dataIndex: 'checksum', render: (c: string) => <Typography.Text type="secondary" style={{ fontSize: 11 }} copyable={{ text: c }}>{c?.slice(0, 19)}…</Typography.Text> },
            ]}
          />
        </>
      )}
    </Drawer>
  );
}
