import { memo } from 'react';
import { Alert, Button, Checkbox, Collapse, List, Typography } from 'antd';
import { UndoOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import type { FieldDef } from './model';

/**
 * Published fields taken off the form. They are hidden and their data kept (a soft delete) until
 * someone asks for a purge here, which the publish dialog then shows as destructive.
 */
export const DeletedFields = memo(function DeletedFields({ fields, onRestore, onPurge }: {
  fields: FieldDef[]; onRestore: (id: string) => void; onPurge: (id: string, purge: boolean) => void;
}) {
  const { t } = useTranslation();
  if (!fields.length) return null;
  return (
    <Collapse
      className="fwd-deleted"
      size="small"
      data-testid="deleted-fields"
      items={[{
        key: 'deleted',
        label: t('deleted.title', { count: fields.length }),
        children: (
          <>
            <Alert type="info" showIcon title={t('deleted.help')} style={{ marginBottom: 8 }} />
            <List
              size="small"
              dataSource={fields}
              renderItem={(f) => (
                <List.Item
                  data-testid={`deleted-${f.key}`}
                  actions={[
                    <Checkbox key="purge" checked={f.purge === true} onChange={(e) => onPurge(f.id, e.target.checked)} data-testid={`purge-${f.key}`}>
                      <Typography.Text type="danger">{t('deleted.purge')}</Typography.Text>
                    </Checkbox>,
                    <Button key="restore" size="small" icon={<UndoOutlined />} onClick={() => onRestore(f.id)} data-testid={`restore-${f.key}`}>{t('deleted.restore')}</Button>,
                  ]}
                >
                  <span style={{ textDecoration: 'line-through' }}>{label(f.label, f.key)}</span> <Typography.Text type="secondary">({f.key})</Typography.Text>
                </List.Item>
              )}
            />
          </>
        ),
      }]}
    />
  );
});
