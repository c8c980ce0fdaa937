/**
 * The upgrade's conflicts, one row each: the document, the path (array elements by stable id),
 * the base, local and pack values side by side, and "keep mine" / "take the pack's".
 */
import { Alert, Button, Radio, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { conflictId, showValue, type Choice, type Conflict } from './model';
import './words';

const CHOSEN = { background: '#f6ffed', outline: '1px solid #b7eb8f', borderRadius: 4 };

const pre = (v: unknown) => (
  <pre style={{ margin: 0, maxWidth: 260, maxHeight: 160, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }}>{showValue(v)}</pre>
);

export function ConflictResolver({ conflicts, choices, onChoose }: {
  conflicts: Conflict[]; choices: Record<string, Choice>; onChoose: (next: Record<string, Choice>) => void;
}) {
  const { t } = useTranslation();
  const all = (c: Choice) => onChoose(Object.fromEntries(conflicts.map((x) => [conflictId(x), c])));
  const chosen = conflicts.filter((c) => choices[conflictId(c)]).length;
  return (
    <div data-testid="pack-conflicts">
      <Alert type="warning" showIcon title={t('packs.resolveTitle', { count: conflicts.length })} description={t('packs.resolveHelp')} style={{ marginBottom: 12 }} />
      <Space style={{ marginBottom: 8 }}>
        <Button size="small" onClick={() => all('local')} data-testid="choose-all-local">{t('packs.keepAllMine')}</Button>
        <Button size="small" onClick={() => all('pack')} data-testid="choose-all-pack">{t('packs.takeAllPack')}</Button>
        <Typography.Text type="secondary" data-testid="chosen-count">{t('packs.chosen', { n: chosen, total: conflicts.length })}</Typography.Text>
      </Space>
      <Table<Conflict>
        size="small" pagination={false} rowKey={conflictId} dataSource={conflicts} scroll={{ x: 1100 }}
        onRow={(_c, i) => ({ 'data-testid': `conflict-${i}` } as any)}
        columns={[
          { title: t('packs.document'), dataIndex: 'document', width: 150, render: (d) => <Typography.Text code>{d}</Typography.Text> },
          { title: t('packs.path'), dataIndex: 'path', width: 200, render: (p) => <Typography.Text code style={{ wordBreak: 'break-all' }}>{p || '/'}</Typography.Text> },
          { title: t('packs.base'), dataIndex: 'base', render: (v) => pre(v) },
          { title: t('packs.ours'), dataIndex: 'ours', render: (v, c) => <div style={choices[conflictId(c)] === 'local' ? CHOSEN : undefined} data-testid="value-ours">{pre(v)}</div> },
          { title: t('packs.theirs'), dataIndex: 'theirs', render: (v, c) => <div style={choices[conflictId(c)] === 'pack' ? CHOSEN : undefined} data-testid="value-theirs">{pre(v)}</div> },
          {
            title: t('packs.choice'), key: 'choice', width: 150, fixed: 'right',
            render: (_v, c, i) => (
              <Radio.Group value={choices[conflictId(c)]} onChange={(e) => onChoose({ ...choices, [conflictId(c)]: e.target.value })}>
                <Space orientation="vertical" size={2}>
                  <Radio value="local" data-testid={`choice-${i}-local`}>{t('packs.keepMine')}</Radio>
                  <Radio value="pack" data-testid={`choice-${i}-pack`}>{t('packs.takePack')}</Radio>
                </Space>
              </Radio.Group>
            ),
          },
        ]}
      />
    </div>
  );
}
