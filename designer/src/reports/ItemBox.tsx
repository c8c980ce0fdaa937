import type { ReactNode } from 'react';
import { Button, Space } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';

/** One entry of a list editor (a dimension, a measure, a param…): its title, move up/down, remove. */
export function ItemBox({ title, children, onUp, onDown, onRemove, error, testId }: {
  title: ReactNode; children: ReactNode; onUp?: () => void; onDown?: () => void; onRemove: () => void; error?: boolean; testId: string;
}) {
  const { t } = useTranslation();
  return (
    <div className={`fwr-item${error ? ' fwr-item-error' : ''}`} data-testid={testId}>
      <div className="fwr-item-head">
        <span className="fwr-item-title">{title}</span>
        <Space size={0}>
          <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={!onUp} onClick={onUp} aria-label={t('moveUp')} />
          <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={!onDown} onClick={onDown} aria-label={t('moveDown')} />
          <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('delete')} data-testid={`${testId}-remove`} />
        </Space>
      </div>
      {children}
    </div>
  );
}

/** Immutable list edits. */
export const listOps = <T,>(list: T[], set: (next: T[]) => void) => ({
  update: (i: number, patch: Partial<T>) => set(list.map((x, j) => (j === i ? { ...x, ...patch } : x))),
  replace: (i: number, x: T) => set(list.map((y, j) => (j === i ? x : y))),
  remove: (i: number) => set(list.filter((_, j) => j !== i)),
  move: (i: number, d: -1 | 1) => {
    const j = i + d;
    if (j < 0 || j >= list.length) return;
    const next = [...list];
    [next[i], next[j]] = [next[j]!, next[i]!];
    set(next);
  },
  add: (x: T) => set([...list, x]),
});
