/** A new role: key and names; saved as a draft with no rights, then opened in the designer. */
import { useState } from 'react';
import { Alert, Form, Input, Modal } from 'antd';
import { useTranslation } from 'react-i18next';
import { KEY_RE } from '../../../engine/src/meta/types';
import { api, ApiError, errorText } from '../api';
import { navigate } from '../router';
import './words';
import { validated } from '../validated';

const POINTER_TO_FIELD: Record<string, string> = { '/key': 'key', '/label': 'zh', '/label/zh-CN': 'zh', '/label/en': 'en', '/module': 'module' };

export function NewRoleDialog({ open, taken, onClose }: { open: boolean; taken: Set<string>; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    const v = await validated(form);
    if (!v) return; // the form shows what is missing
    setBusy(true);
    setError(null);
    try {
      const doc = { key: v.key, label: { 'zh-CN': v.zh, ...(v.en ? { en: v.en } : {}) }, ...(v.module ? { module: v.module } : {}), permissions: [] };
      await api('PUT', `/api/meta/roles/${encodeURIComponent(v.key)}`, doc);
      onClose();
      void navigate(`/roles/${v.key}`);
    } catch (e) {
      setError(errorText(e));
      if (e instanceof ApiError && e.fields) {
        form.setFields(Object.entries(e.fields).filter(([p]) => POINTER_TO_FIELD[p]).map(([p, m]) => ({ name: POINTER_TO_FIELD[p]!, errors: m })));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('roles.new')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('create')} destroyOnHidden data-testid="new-role-dialog">
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item name="zh" label={t('roles.labelZh')} rules={[{ required: true, message: t('roles.required') }]}><Input id="new-role-zh" maxLength={200} /></Form.Item>
        <Form.Item name="en" label={t('roles.labelEn')}><Input id="new-role-en" maxLength={200} /></Form.Item>
        <Form.Item
          name="key" label={t('roles.key')} extra={t('roles.keyHelp')}
          rules={[
            { required: true, message: t('roles.required') },
            { pattern: KEY_RE, message: t('roles.keyPattern') },
            { validator: (_r, k) => (taken.has(k) ? Promise.reject(new Error(t('roles.keyTaken'))) : Promise.resolve()) },
          ]}
        ><Input id="new-role-key" maxLength={48} /></Form.Item>
        <Form.Item name="module" label={t('roles.module')}><Input id="new-role-module" maxLength={64} /></Form.Item>
      </Form>
    </Modal>
  );
}
