/**
 * The export wizard: modules (from the published forms' modules), pack name and version →
 * GET /api/packs/export → the bundle offered as a file download.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Checkbox, Form, Input, Modal, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, errorText, get } from '../api';
import { downloadJson, type Bundle } from './model';
import './words';
import { validated } from '../validated';

const NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;
const SEMVER_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function ExportWizard({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [counts, setCounts] = useState<Map<string, number>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setError(null);
    get<Array<{ module: string | null; revision: number | null }>>('/api/meta/forms').then((list) => {
      const m = new Map<string, number>();
      for (const f of list) if (f.module && f.revision != null) m.set(f.module, (m.get(f.module) ?? 0) + 1);
      setCounts(m);
    }, setError);
  }, [open]);
  const modules = useMemo(() => [...counts.keys()].sort(), [counts]);

  const submit = async () => {
    const v = await validated(form);
    if (!v) return; // the form shows what is missing
    setBusy(true);
    setError(null);
    try {
      const q = new URLSearchParams({ modules: (v.modules as string[]).join(','), name: v.name, version: v.version });
      const bundle = await get<Bundle>(`/api/packs/export?${q}`);
      const file = `${bundle.manifest.name}-${bundle.manifest.version}.json`;
      downloadJson(file, bundle);
      message.success(t('packs.exported', { file }));
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fields = error instanceof ApiError ? error.fields : undefined;
  return (
    <Modal open={open} title={t('packs.exportTitle')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('packs.exportButton')} okButtonProps={{ 'data-testid': 'export-submit' } as any} destroyOnHidden data-testid="export-wizard" width={560}>
      <Typography.Paragraph type="secondary">{t('packs.exportHelp')}</Typography.Paragraph>
      {!!error && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid="export-error" title={errorText(error)}
          description={fields ? <ul style={{ margin: 0, paddingInlineStart: 18 }}>{Object.entries(fields).map(([p, m]) => <li key={p}><Typography.Text code>{p}</Typography.Text> {m.join('；')}</li>)}</ul> : undefined} />
      )}
      <Form form={form} layout="vertical" preserve={false} initialValues={{ modules: [], name: 'export', version: '1.0.0' }}>
        <Form.Item name="modules" label={t('packs.chooseModules')} rules={[{ required: true, type: 'array', min: 1, message: t('requiredMsg') }]}>
          <Checkbox.Group data-testid="export-modules">
            <Space orientation="vertical">
              {modules.map((m) => <Checkbox key={m} value={m} data-testid={`export-module-${m}`}>{m} <Typography.Text type="secondary">（{t('packs.formsCount', { n: counts.get(m) })}）</Typography.Text></Checkbox>)}
            </Space>
          </Checkbox.Group>
        </Form.Item>
        <Space>
          <Form.Item name="name" label={t('packs.name')} rules={[{ required: true, pattern: NAME_RE, message: '^[a-z][a-z0-9_-]{0,63}$' }]}>
            <Input id="export-name" style={{ width: 220 }} maxLength={64} />
          </Form.Item>
          <Form.Item name="version" label={t('packs.version')} rules={[{ required: true, pattern: SEMVER_RE, message: 'semver: 1.0.0' }]}>
            <Input id="export-version" style={{ width: 140 }} maxLength={32} />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}
