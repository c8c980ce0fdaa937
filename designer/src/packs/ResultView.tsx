/** What an install or upgrade did. */
import { List, Result, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { InstallResult, UpgradeResult } from './model';
import './words';

export function ResultView({ name, version, install, upgrade }: { name: string; version: string; install?: InstallResult; upgrade?: UpgradeResult }) {
  const { t } = useTranslation();
  const rows: Array<{ doc: string; tag: string; color: string; extra?: string }> = [];
  if (install) {
    for (const d of install.installed) rows.push({ doc: `${d.kind}/${d.key}`, tag: t('packs.added'), color: 'green', extra: `v${d.revision}` });
    for (const d of install.unchanged) rows.push({ doc: `${d.kind}/${d.key}`, tag: t('packs.unchanged'), color: 'default' });
  }
  if (upgrade) {
    for (const d of upgrade.added) rows.push({ doc: d, tag: t('packs.added'), color: 'green' });
    for (const d of upgrade.merged) rows.push({ doc: d.document, tag: t('packs.merged'), color: 'blue', extra: [d.revision != null ? `v${d.revision}` : '', d.keptLocal ? t('packs.keptLocal', { n: d.keptLocal }) : ''].filter(Boolean).join(' · ') });
    for (const d of upgrade.unchanged) rows.push({ doc: d, tag: t('packs.unchanged'), color: 'default' });
    for (const d of upgrade.removed) rows.push({ doc: d, tag: t('packs.removed'), color: 'orange' });
  }
  return (
    <div data-testid="pack-done">
      <Result
        status="success" style={{ padding: 16 }}
        title={upgrade ? t('packs.doneUpgraded', { name, from: upgrade.from, to: upgrade.to }) : t('packs.doneInstalled', { name, version })}
      />
      <List
        size="small" bordered dataSource={rows}
        renderItem={(r) => (
          <List.Item>
            <Typography.Text code>{r.doc}</Typography.Text>
            <span><Tag color={r.color}>{r.tag}</Tag>{r.extra && <Typography.Text type="secondary">{r.extra}</Typography.Text>}</span>
          </List.Item>
        )}
      />
    </div>
  );
}
