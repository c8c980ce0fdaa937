/** The role's own settings: names, description, module, administrator and metadata flags. */
import { Checkbox, Col, Form, Input, Row } from 'antd';
import { useTranslation } from 'react-i18next';
import type { RoleDef } from './model';
import './words';

type Label = { [lang: string]: string };
const asLabel = (l: unknown): Label => (typeof l === 'string' ? { 'zh-CN': l } : ((l ?? {}) as Label));

export function RoleSettings({ doc, disabled, errors, onChange }: {
  doc: RoleDef; disabled?: boolean; errors: Array<{ path: string; message: string }>; onChange: (next: RoleDef) => void;
}) {
  const { t } = useTranslation();
  const lbl = asLabel(doc.label);
  const desc = asLabel(doc.description);
  const errAt = (prefix: string) => errors.filter((e) => e.path.startsWith(prefix)).map((e) => e.message);
  const setLabel = (lang: string, v: string) => onChange({ ...doc, label: { ...lbl, [lang]: v } });
  const setDesc = (lang: string, v: string) => {
    const next: Label = Object.fromEntries(Object.entries({ ...desc, [lang]: v }).filter(([, x]) => x));
    const { description: _d, ...rest } = doc;
    onChange(Object.keys(next).length ? { ...rest, description: next } : rest);
  };
  const flag = (k: 'admin' | 'manageMetadata', on: boolean) => {
    const out = { ...doc };
    if (on) out[k] = true;
    else delete out[k];
    onChange(out);
  };
  const status = (p: string) => (errAt(p).length ? 'error' : undefined);
  return (
    <Form layout="vertical" disabled={disabled} data-testid="role-settings">
      <Row gutter={12}>
        <Col span={8}>
          <Form.Item label={t('roles.labelZh')} validateStatus={status('/label')} help={errAt('/label').join('；') || undefined} required>
            <Input id="role-label-zh" value={lbl['zh-CN'] ?? ''} onChange={(e) => setLabel('zh-CN', e.target.value)} maxLength={200} />
          </Form.Item>
        </Col>
        <Col span={8}>
          <Form.Item label={t('roles.labelEn')}>
            <Input id="role-label-en" value={lbl.en ?? ''} onChange={(e) => setLabel('en', e.target.value)} maxLength={200} />
          </Form.Item>
        </Col>
        <Col span={8}>
          <Form.Item label={t('roles.module')} validateStatus={status('/module')} help={errAt('/module').join('；') || undefined}>
            <Input id="role-module" value={doc.module ?? ''} maxLength={64} onChange={(e) => {
              const { module: _m, ...rest } = doc;
              onChange(e.target.value ? { ...rest, module: e.target.value } : rest);
            }} />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={12}>
        <Col span={12}>
          <Form.Item label={`${t('roles.description')}（中文）`}>
            <Input.TextArea id="role-desc-zh" autoSize={{ minRows: 1, maxRows: 4 }} value={desc['zh-CN'] ?? ''} onChange={(e) => setDesc('zh-CN', e.target.value)} />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item label={`${t('roles.description')} (English)`}>
            <Input.TextArea id="role-desc-en" autoSize={{ minRows: 1, maxRows: 4 }} value={desc.en ?? ''} onChange={(e) => setDesc('en', e.target.value)} />
          </Form.Item>
        </Col>
      </Row>
      <Checkbox checked={!!doc.admin} onChange={(e) => flag('admin', e.target.checked)} data-testid="role-admin">{t('roles.admin')}</Checkbox>
      <Checkbox checked={!!doc.manageMetadata} onChange={(e) => flag('manageMetadata', e.target.checked)} data-testid="role-manage-metadata">{t('roles.manageMetadata')}</Checkbox>
    </Form>
  );
}
