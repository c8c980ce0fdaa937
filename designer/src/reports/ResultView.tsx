/** A report result as the runtime shows it: a chart, a KPI figure or a table (pivots are tables). */
import { Empty, Statistic, Table } from 'antd';
import { useTranslation } from 'react-i18next';
import './words';
import type { ReportDef, ReportResult } from './model';
import { ReportChart } from './ReportChart';
import { cellText } from './cellText';

export function ResultView({ result, chart, chartHeight, testId }: {
  result: ReportResult; chart?: ReportDef['chart'] | null; chartHeight?: number | string; testId: string;
}) {
  const { t } = useTranslation();
  const c = chart ?? result.chart ?? null;
  if (result.rows.length === 0) return <Empty description={t('reports.noRows')} data-testid={`${testId}-empty`} />;
  if (c?.kind === 'kpi') {
    const y = c.y?.[0] ?? result.columns.find((x) => x.kind === 'measure')?.key;
    const col = result.columns.find((x) => x.key === y);
    return <div data-testid={`${testId}-kpi`}><Statistic title={col?.label} value={cellText(col, result.rows[0]?.[y ?? ''])} /></div>;
  }
  const table = (
    <Table
      size="small" rowKey={(_, i) => String(i)} data-testid={`${testId}-table`}
      pagination={result.rows.length > 10 ? { pageSize: 10, size: 'small' } : false} scroll={{ x: 'max-content' }}
      dataSource={result.rows}
      onRow={() => ({ 'data-testid': `${testId}-row` } as any)}
      columns={result.columns.map((col) => ({
        key: col.key, dataIndex: col.key, title: col.label, align: col.kind === 'measure' ? ('right' as const) : undefined,
        render: (v: unknown) => cellText(col, v),
      }))}
      summary={result.totals ? () => (
        <Table.Summary.Row>
          {result.columns.map((col, i) => (
            <Table.Summary.Cell key={col.key} index={i} align={col.kind === 'measure' ? 'right' : undefined}>
              <b>{cellText(col, result.totals![col.key])}</b>
            </Table.Summary.Cell>
          ))}
        </Table.Summary.Row>
      ) : undefined}
    />
  );
  if (result.type === 'chart' && c) {
    return (
      <div>
        <ReportChart result={result} chart={c} height={chartHeight} testId={`${testId}-chart`} />
        {chartHeight === undefined && table}
      </div>
    );
  }
  return table;
}
