/**
 * The role designer (/designer/roles/:key): settings, who has the role, the permission matrix;
 * save draft, publish (422s placed in the matrix cell their JSON Pointer names), revisions.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Badge, Button, Card, Space, Spin, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, CloudUploadOutlined, HistoryOutlined, SaveOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, get } from '../api';
import { label } from '../i18n';
import { navigate } from '../router';
import { STATUS_COLOR } from '../pages/Forms/index';
import { placeRoleErrors, toSave, type FormSummary, type PlacedRoleErrors, type RoleDef } from './model';
import { PermissionMatrix } from './PermissionMatrix';
import { RoleRevisions } from './RoleRevisions';
import { RoleSettings } from './RoleSettings';
import { RoleUsers } from './RoleUsers';
import './words';
import { useUnsavedGuard } from '../useEditorGuards';

const NO_ERRORS: PlacedRoleErrors = { byForm: new Map(), role: [] };

export default function RoleDesigner({ role: roleKey }: { role: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [doc, setDoc] = useState<RoleDef | null>(null);
  const [savedJson, setSavedJson] = useState('');
  const [forms, setForms] = useState<FormSummary[]>([]);
  const [summary, setSummary] = useState<FormSummary | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [banner, setBanner] = useState<string | null>(null);
  const [errors, setErrors] = useState<PlacedRoleErrors>(NO_ERRORS);
  const [busy, setBusy] = useState<'save' | 'publish' | null>(null);
  const [revisionsOpen, setRevisionsOpen] = useState(false);
  const base = `/api/meta/roles/${encodeURIComponent(roleKey)}`;

  const refreshSummary = useCallback(async () => {
    const roles = await get<FormSummary[]>('/api/meta/roles');
    setSummary(roles.find((r) => r.key === roleKey) ?? null);
  }, [roleKey]);

  const load = useCallback(async () => {
    const [draft, formList] = await Promise.all([get<RoleDef>(`${base}?draft=1`), get<FormSummary[]>('/api/meta/forms')]);
    const d = { ...draft, permissions: draft.permissions ?? [] };
    setDoc(d);
    setSavedJson(JSON.stringify(toSave(d)));
    setForms(formList);
    setErrors(NO_ERRORS);
    setBanner(null);
    await refreshSummary();
  }, [base, refreshSummary]);

  useEffect(() => {
    load().catch((e) => setLoadError(errorText(e)));
  }, [load]);

  const dirty = useMemo(() => !!doc && JSON.stringify(toSave(doc)) !== savedJson, [doc, savedJson]);
  useUnsavedGuard(dirty, { title: 'roles.leaveTitle', body: 'roles.leaveBody', leave: 'roles.leave', stay: 'roles.stay' });

  const showError = (e: unknown, sent: RoleDef) => {
    setBanner(errorText(e));
    setErrors(e instanceof ApiError && e.fields ? placeRoleErrors(sent, e.fields) : NO_ERRORS);
  };

  const save = async (quiet = false): Promise<boolean> => {
    if (!doc) return false;
    const sent = toSave(doc);
    setBusy('save');
    setBanner(null);
    try {
      await api('PUT', base, sent);
      setSavedJson(JSON.stringify(sent));
      setErrors(NO_ERRORS);
      if (!quiet) message.success(t('roles.saved'));
      await refreshSummary();
      return true;
    } catch (e) {
      showError(e, sent);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const publish = async () => {
    if (!doc || !(await save(true))) return;
    const sent = toSave(doc);
    setBusy('publish');
    try {
      const r = await api<{ revision: number }>('POST', `${base}/publish`, {});
      message.success(t('roles.published', { revision: r.revision }));
      await load();
    } catch (e) {
      showError(e, sent);
    } finally {
      setBusy(null);
    }
  };

  if (loadError) return <Alert type="error" showIcon title={loadError} action={<Button onClick={() => void navigate('/roles')}>{t('back')}</Button>} />;
  if (!doc) return <Spin style={{ margin: 24 }} />;
  const status = (summary?.status ?? 'draft') as keyof typeof STATUS_COLOR;
  const errorCount = errors.role.length + [...errors.byForm.values()].reduce((n, c) => n + Object.values(c).reduce((m, x) => m + (x?.length ?? 0), 0), 0);

  return (
    <div data-testid={`role-${roleKey}`}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => void navigate('/roles')} aria-label={t('back')} />
          <Typography.Title level={4} style={{ margin: 0 }}>{label(doc.label, roleKey)}</Typography.Title>
          <Typography.Text code>{roleKey}</Typography.Text>
          <Tag color={STATUS_COLOR[status]} data-testid="role-status">{t(`status.${status}`)}</Tag>
          {summary?.revision != null && <Tag>v{summary.revision}</Tag>}
          {dirty && <Badge status="warning" text={t('roles.unsaved')} data-testid="role-dirty" />}
        </Space>
        <Space wrap>
          <Button icon={<HistoryOutlined />} onClick={() => setRevisionsOpen(true)} data-testid="role-revisions-button">{t('roles.revisions')}</Button>
          <Button icon={<SaveOutlined />} loading={busy === 'save'} onClick={() => void save()} data-testid="role-save">{t('roles.saveDraft')}</Button>
          <Button type="primary" icon={<CloudUploadOutlined />} loading={busy === 'publish'} onClick={() => void publish()} data-testid="role-publish">{t('roles.publish')}</Button>
        </Space>
      </Space>
      {banner && (
        <Alert
          type="error" showIcon closable onClose={() => setBanner(null)} style={{ marginBottom: 12 }} data-testid="role-error"
          title={banner} description={errorCount ? t('roles.errors') + `（${errorCount}）` : undefined}
        />
      )}
      <Card size="small" title={t('roles.settings')} style={{ marginBottom: 12 }}>
        <RoleSettings doc={doc} errors={errors.role} onChange={setDoc} />
        <RoleUsers roleKey={roleKey} />
      </Card>
      <Card size="small" title={t('roles.matrix')} styles={{ body: { padding: 0 } }}>
        {doc.admin && <Alert type="info" showIcon title={t('roles.adminHint')} style={{ margin: 8 }} />}
        <PermissionMatrix doc={doc} forms={forms} errors={errors.byForm} disabled={!!doc.admin} onChange={setDoc} />
      </Card>
      <RoleRevisions roleKey={roleKey} open={revisionsOpen} onClose={() => setRevisionsOpen(false)} onRolledBack={() => void load()} />
    </div>
  );
}
