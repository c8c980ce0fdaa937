/**
 * Saved list views (server-side, per person: /api/views): choose one, save the list's current
 * filter, sort, columns, page size and search as a new view or into the chosen one, rename,
 * make default, delete. Views an administrator shared are offered read-only.
 */
import { memo, useState } from 'react';
import { App, Button, Checkbox, Dropdown, Input, Modal, Select, Space, Tag, type ButtonProps } from 'antd';
import { DeleteOutlined, EditOutlined, MoreOutlined, SaveOutlined, StarFilled, StarOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';

export interface ListView {
  id: number;
  form: string;
  name: string;
  filter: unknown;
  sort: string | null;
  columns: string[] | null;
  pageSize: number;
  q: string | null;
  isDefault: boolean;
  shared: boolean;
  mine: boolean;
}

/** What a view holds: the list's state as it is now. */
export interface ViewState {
  filter: unknown;
  sort: string | null;
  columns: string[] | null;
  pageSize: number;
  q: string | null;
}

/** The view a list opens with: the person's default, else a default an administrator shared. */
export function defaultView(views: ListView[]): ListView | null {
  return views.find((v) => v.mine && v.isDefault) ?? views.find((v) => !v.mine && v.isDefault) ?? null;
}

const errorText = (e: unknown) => (e instanceof ApiError && e.fields ? Object.values(e.fields).flat().join('；') || e.message : e instanceof Error ? e.message : String(e));

function ViewPickerImpl({ form, views, active, current, isAdmin, compact, onChoose, onChanged }: {
  form: string;
  views: ListView[];
  active: ListView | null;
  /** The list's state now (read when saving). */
  current: () => ViewState;
  isAdmin: boolean;
  compact: boolean;
  onChoose: (v: ListView | null) => void;
  /** After a change on the server: the new list of views and the view to keep chosen. */
  onChanged: (chosen: ListView | null) => void;
}) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const [naming, setNaming] = useState<null | 'new' | 'rename'>(null);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const own = !!active?.mine;

  const openNaming = (mode: 'new' | 'rename') => {
    setNaming(mode);
    setName(mode === 'rename' && active ? active.name : '');
    setShared(mode === 'rename' ? !!active?.shared : false);
    setError(null);
  };

  const submitName = async () => {
    setBusy(true);
    setError(null);
    try {
      const v = naming === 'rename' && active
        ? await api<ListView>('PUT', `/api/views/${active.id}`, { name, ...(isAdmin ? { shared } : {}) })
        : await api<ListView>('POST', '/api/views', { form, name, ...current(), ...(isAdmin && shared ? { shared: true } : {}) });
      setNaming(null);
      message.success(t('viewSaved'));
      onChanged(v);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const change = async (body: Record<string, unknown>, done: string) => {
    if (!active) return;
    try {
      const v = await api<ListView>('PUT', `/api/views/${active.id}`, body);
      message.success(done);
      onChanged(v);
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const remove = () => {
    if (!active) return;
    modal.confirm({
      title: t('viewDeleteTitle', { name: active.name }), okText: t('delete'), okButtonProps: { danger: true, 'data-testid': 'view-delete-ok' } as ButtonProps, cancelText: t('cancel'),
      onOk: async () => {
        try {
          await api('DELETE', `/api/views/${active.id}`);
          message.success(t('viewDeleted'));
          onChanged(null);
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });
  };

  const items = [
    { key: 'new', icon: <PlusOutlined />, label: <span data-testid="view-save-new">{t('viewSaveNew')}</span> },
    { key: 'save', icon: <SaveOutlined />, disabled: !own, label: <span data-testid="view-save">{t('viewSave')}</span> },
    { key: 'rename', icon: <EditOutlined />, disabled: !own, label: <span data-testid="view-rename">{t('viewRename')}</span> },
    { key: 'default', icon: active?.isDefault ? <StarOutlined /> : <StarFilled />, disabled: !own, label: <span data-testid="view-default">{active?.isDefault ? t('viewUndefault') : t('viewMakeDefault')}</span> },
    { key: 'delete', icon: <DeleteOutlined />, danger: true, disabled: !own, label: <span data-testid="view-delete">{t('delete')}</span> },
  ];
  const onMenu = ({ key }: { key: string }) => {
    if (key === 'new') openNaming('new');
    else if (key === 'rename') openNaming('rename');
    else if (key === 'save') void change({ ...current() }, t('viewSaved'));
    else if (key === 'default') void change({ isDefault: !active?.isDefault }, t('viewSaved'));
    else if (key === 'delete') remove();
  };

  return (
    <>
      <Space.Compact data-testid="views">
        <Select
          data-testid="view-select"
          style={{ width: compact ? 132 : 180 }}
          value={active?.id ?? 0}
          popupMatchSelectWidth={false}
          onChange={(id) => onChoose(views.find((v) => v.id === id) ?? null)}
          options={[
            { value: 0, label: t('viewAll') },
            ...views.map((v) => ({
              value: v.id,
              label: (
                <span data-testid={`view-option-${v.id}`}>
                  {v.name}
                  {v.isDefault && <StarFilled style={{ color: '#faad14', marginInlineStart: 4 }} aria-label={t('viewDefault')} />}
                  {!v.mine && <Tag style={{ marginInlineStart: 6 }}>{t('viewShared')}</Tag>}
                </span>
              ),
            })),
          ]}
        />
        <Dropdown trigger={['click']} menu={{ items, onClick: onMenu }}>
          <Button icon={<MoreOutlined />} data-testid="view-menu" aria-label={t('viewActions')} />
        </Dropdown>
      </Space.Compact>
      <Modal
        open={naming !== null}
        title={naming === 'rename' ? t('viewRename') : t('viewSaveNew')}
        onCancel={() => setNaming(null)}
        onOk={() => void submitName()}
        okButtonProps={{ disabled: !name.trim(), loading: busy, 'data-testid': 'view-name-ok' } as ButtonProps}
        okText={t('save')}
        cancelText={t('cancel')}
        destroyOnHidden
      >
        <Input autoFocus value={name} maxLength={100} placeholder={t('viewName')} onChange={(e) => setName(e.target.value)} onPressEnter={() => name.trim() && void submitName()} data-testid="view-name" status={error ? 'error' : undefined} />
        {error && <div style={{ color: '#ff4d4f', marginTop: 6 }} data-testid="view-name-error">{error}</div>}
        {isAdmin && <Checkbox style={{ marginTop: 8 }} checked={shared} onChange={(e) => setShared(e.target.checked)} data-testid="view-shared">{t('viewShareAll')}</Checkbox>}
      </Modal>
    </>
  );
}

export const ViewPicker = memo(ViewPickerImpl);
