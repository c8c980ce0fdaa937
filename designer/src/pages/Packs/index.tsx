/**
 * Template packs: the installed ones (details, uninstall with the data-loss confirmation),
 * install or upgrade from a bundle file (the plan first, conflicts resolved one by one), and
 * the export wizard.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Checkbox, Space, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, DownloadOutlined, UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, get } from '../../api';
import { label } from '../../i18n';
import { ExportWizard } from '../../packs/ExportWizard';
import { InstallFlow } from '../../packs/InstallFlow';
import { readBundleFile, type Bundle, type InstalledPack } from '../../packs/model';
import { PackDetails } from '../../packs/PackDetails';
import '../../packs/words';

export default function PacksPage() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const [items, setItems] = useState<InstalledPack[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [flow, setFlow] = useState<{ bundle: Bundle; fileName: string } | null>(null);
  const [exporting, setExporting] = useState(false);
  const [details, setDetails] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const load = () => get<InstalledPack[]>('/api/packs').then(setItems, (e) => setError(errorText(e)));
  useEffect(() => void load(), []);

  const pick = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    try {
      setFlow({ bundle: await readBundleFile(file), fileName: file.name });
    } catch (e) {
      setError(errorText(e));
    } finally {
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  const uninstall = (name: string, confirmDataLoss = false) =>
    api<{ removed: string[]; records: number }>('DELETE', `/api/packs/${encodeURIComponent(name)}${confirmDataLoss ? '?confirmDataLoss=1' : ''}`).then(
      (r) => {
        message.success(t('packs.uninstalled', { name, count: r.removed.length }));
        void load();
      },
      (e) => {
        if (e instanceof ApiError && e.code === 'data_loss' && !confirmDataLoss) {
          let ok = false;
          modal.confirm({
            title: t('packs.uninstallTitle', { name }),
            content: (
              <div data-testid="uninstall-data-loss">
                <p>{t('packs.uninstallDataLoss', { records: e.details?.records ?? '?' })}</p>
                <Checkbox onChange={(x) => (ok = x.target.checked)} data-testid="uninstall-understand">{t('packs.understand')}</Checkbox>
              </div>
            ),
            okButtonProps: { danger: true, 'data-testid': 'uninstall-confirm-data-loss' } as any,
            onOk: () => (ok ? uninstall(name, true) : Promise.reject(new Error('not confirmed'))),
          });
        } else setError(errorText(e));
      },
    );

  const askUninstall = (name: string) =>
    modal.confirm({
      title: t('packs.uninstallTitle', { name }), content: t('packs.uninstallBody'), okText: t('packs.uninstall'),
      okButtonProps: { danger: true, 'data-testid': 'uninstall-confirm' } as any, onOk: () => void uninstall(name),
    });

  if (flow) {
    return <InstallFlow bundle={flow.bundle} fileName={flow.fileName} onClose={(changed) => { setFlow(null); if (changed) void load(); }} />;
  }
  return (
    <div data-testid="packs-list">
      <Space style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('packs.title')}</Typography.Title>
        <Space>
          <input ref={fileInput} type="file" accept=".json,application/json" style={{ display: 'none' }} data-testid="pack-file" onChange={(e) => void pick(e.target.files?.[0])} />
          <Button icon={<UploadOutlined />} type="primary" onClick={() => fileInput.current?.click()} data-testid="pack-upload" title={t('packs.fileHint')}>{t('packs.installFromFile')}</Button>
          <Button icon={<DownloadOutlined />} onClick={() => setExporting(true)} data-testid="pack-export">{t('packs.export')}</Button>
        </Space>
      </Space>
      {error && <Alert type="error" showIcon closable onClose={() => setError(null)} title={error} style={{ marginBottom: 12 }} data-testid="packs-error" />}
      <Table<InstalledPack>
        rowKey="name" size="middle" loading={!items && !error} dataSource={items ?? []} pagination={false} locale={{ emptyText: t('packs.none') }}
        onRow={(r) => ({ 'data-testid': `pack-row-${r.name}` } as any)}
        columns={[
          { title: t('packs.label'), dataIndex: 'label', render: (l, r) => <a onClick={() => setDetails(r.name)}>{label(l, r.name)}</a> },
          { title: t('packs.name'), dataIndex: 'name', render: (n) => <Typography.Text code>{n}</Typography.Text> },
          { title: t('packs.version'), dataIndex: 'version', render: (v) => <span data-testid="pack-version">{v}</span> },
          { title: t('packs.modules'), dataIndex: 'modules', render: (m?: string[]) => (m ?? []).map((x) => <Tag key={x}>{x}</Tag>) },
          { title: t('packs.installedAt'), dataIndex: 'installedAt', render: (d) => new Date(d).toLocaleString() },
          {
            key: 'actions', align: 'right',
            render: (_, r) => (
              <Space>
                <Button size="small" onClick={() => setDetails(r.name)} data-testid={`pack-details-${r.name}`}>{t('packs.details')}</Button>
                <Button size="small" danger icon={<DeleteOutlined />} onClick={() => askUninstall(r.name)} data-testid={`pack-uninstall-${r.name}`}>{t('packs.uninstall')}</Button>
              </Space>
            ),
          },
        ]}
      />
      <ExportWizard open={exporting} onClose={() => setExporting(false)} />
      <PackDetails name={details} onClose={() => setDetails(null)} />
    </div>
  );
}
