import type { ReactNode } from 'react';
import { Badge, Button, Space, Tag, Tooltip, Typography } from 'antd';
import { ArrowLeftOutlined, CloudUploadOutlined, RedoOutlined, SaveOutlined, UndoOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { navigate } from '../router';
import { STATUS_COLOR } from '../pages/Forms/index';
import type { useMetaDocument } from './useMetaDocument';

/** The designer's title bar: back to the list, name, key, status, unsaved, undo/redo, save draft, publish. */
export function DocHeader({ title, docKey, state, back, extra }: {
  title: string; docKey: string; state: ReturnType<typeof useMetaDocument<any>>; back: string; extra?: ReactNode;
}) {
  const { t } = useTranslation();
  const { history, summary, dirty, busy } = state;
  const status = summary?.status ?? 'draft';
  return (
    <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
      <Space wrap>
        <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => void navigate(back)} aria-label={t('back')} data-testid="back" />
        <Typography.Title level={4} style={{ margin: 0 }}>{title}</Typography.Title>
        <Typography.Text code>{docKey}</Typography.Text>
        <Tag color={STATUS_COLOR[status]} data-testid="doc-status">{t(`status.${status}`)}</Tag>
        {summary?.revision != null && <Tag>v{summary.revision}</Tag>}
        {dirty && <Badge status="warning" text={t('unsaved')} data-testid="dirty" />}
      </Space>
      <Space wrap>
        {extra}
        <Tooltip title={t('undo')}><Button icon={<UndoOutlined />} disabled={!history.canUndo} onClick={history.undo} data-testid="undo" aria-label={t('undo')} /></Tooltip>
        <Tooltip title={t('redo')}><Button icon={<RedoOutlined />} disabled={!history.canRedo} onClick={history.redo} data-testid="redo" aria-label={t('redo')} /></Tooltip>
        <Button icon={<SaveOutlined />} loading={busy === 'save'} onClick={() => void state.save()} data-testid="save-draft">{t('saveDraft')}</Button>
        <Button type="primary" icon={<CloudUploadOutlined />} loading={busy === 'publish'} onClick={() => void state.publish()} data-testid="publish">{t('publish.button')}</Button>
      </Space>
    </Space>
  );
}
