/** An administrator's public links of a form: create one (chosen fields, a title), copy its URL, enable or disable links. */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Checkbox, Input, List, Modal, Space, Switch, Tag, Typography } from 'antd';
import { CopyOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, get } from '../api';
import { label } from '../i18n';
import { liveFields, type FieldDef, type FormDef } from '../meta';

interface PublicLink { id: number; slug: string; form: string; fields: string[]; title: unknown; enabled: boolean; submissions?: number; createdAt: string }

/** Types a stranger cannot fill in (the engine refuses them on a link). */
const NOT_PUBLIC = new Set(['relation', 'user', 'department', 'attachment', 'file', 'image', 'signature', 'subtable', 'location', 'autonumber']);
const publicable = (f: FieldDef) => !NOT_PUBLIC.has(f.type) && f.formula === undefined && !(f as { rollup?: unknown }).rollup && !(f as { sensitive?: unknown }).sensitive;
/** Required without a default: every link must hold it. */
const mustHave = (f: FieldDef) => !!f.required && f.default === undefined;

export const publicUrl = (slug: string) => `${location.origin}/p/${slug}`;

export function PublicLinkDialog({ form, onClose }: { form: FormDef; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const fields = liveFields(form).filter(publicable);
  const locked = fields.filter(mustHave).map((f) => f.key);
  const [chosen, setChosen] = useState<string[]>(locked);
  const [title, setTitle] = useState(label(form.label, form.key));
  const [links, setLinks] = useState<PublicLink[]>([]);
  const [created, setCreated] = useState<PublicLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => get<{ items: PublicLink[] }>('/api/public-forms').then((r) => setLinks(r.items.filter((l) => l.form === form.key)), (e) => setError(e.message));
  useEffect(() => { void load(); }, [form.key]);

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      message.success(t('copied'));
    } catch {
      message.info(text);
    }
  };
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const keys = fields.map((f) => f.key).filter((k) => chosen.includes(k));
      const link = await api<PublicLink>('POST', '/api/public-forms', { form: form.key, fields: keys, title: title || undefined });
      setCreated(link);
      void load();
    } catch (e) {
      setError(e instanceof ApiError && e.fields ? Object.values(e.fields).flat().join('；') || e.message : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const toggle = async (l: PublicLink, enabled: boolean) => {
    try {
      await api('PATCH', `/api/public-forms/${l.id}`, { enabled });
      void load();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <Modal open title={t('publicLink')} onCancel={onClose} footer={null} width={560} destroyOnHidden>
      <div data-testid="public-link-dialog">
        {error && <Alert type="error" title={error} showIcon style={{ marginBottom: 12 }} data-testid="public-link-error" />}
        <div style={{ marginBottom: 8 }}>
          <Typography.Text strong>{t('publicTitle')}</Typography.Text>
          <Input value={title} onChange={(e) => setTitle(e.target.value)} data-testid="public-link-title" />
        </div>
        <Typography.Text strong>{t('publicFields')}</Typography.Text>
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: '4px 16px', margin: '6px 0 12px' }} data-testid="public-link-fields">
          {fields.map((f) => (
            <span key={f.key} data-field={f.key}>
              <Checkbox checked={chosen.includes(f.key)} disabled={locked.includes(f.key)}
                onChange={(e) => setChosen(e.target.checked ? [...chosen, f.key] : chosen.filter((k) => k !== f.key))}>
                {label(f.label, f.key)}{locked.includes(f.key) ? ' *' : ''}
              </Checkbox>
            </span>
          ))}
        </div>
        <Button type="primary" loading={busy} onClick={() => void create()} data-testid="public-link-create">{t('publicCreate')}</Button>
        {created && (
          <Space.Compact style={{ width: '100%', marginTop: 12 }}>
            <Input readOnly value={publicUrl(created.slug)} data-testid="public-link-url" />
            <Button icon={<CopyOutlined />} onClick={() => void copy(publicUrl(created.slug))} data-testid="public-link-copy">{t('copy')}</Button>
          </Space.Compact>
        )}
        {links.length > 0 && (
          <List size="small" style={{ marginTop: 16 }} header={<b>{t('publicExisting')}</b>} dataSource={links} data-testid="public-links"
            renderItem={(l) => (
              <List.Item data-testid={`public-link-${l.slug}`} actions={[
                <Button key="copy" size="small" icon={<CopyOutlined />} onClick={() => void copy(publicUrl(l.slug))} aria-label={t('copy')} />,
                <Switch key="on" size="small" checked={l.enabled} onChange={(v) => void toggle(l, v)} data-testid={`public-link-enabled-${l.slug}`} />,
              ]}>
                <List.Item.Meta
                  title={<span>{label(l.title, label(form.label, form.key))} {!l.enabled && <Tag>{t('disabled')}</Tag>}</span>}
                  description={<Typography.Text type="secondary" style={{ wordBreak: 'break-all' }}>{publicUrl(l.slug)}{typeof l.submissions === 'number' ? ` · ${t('submissions', { count: l.submissions })}` : ''}</Typography.Text>}
                />
              </List.Item>
            )} />
        )}
      </div>
    </Modal>
  );
}
