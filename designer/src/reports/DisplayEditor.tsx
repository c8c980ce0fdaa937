/** How the report shows: table, pivot or chart (bar, line, pie, funnel, KPI), sort, row limit, totals. */
import { Button, Form, InputNumber, Segmented, Select, Switch } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { withOptional } from './DimensionsEditor';
import { listOps } from './ItemBox';
import { CHART_KINDS, itemStatus, REPORT_TYPES, type Errors, type ReportDef } from './model';

export function DisplayEditor({ doc, errors, onChange }: { doc: ReportDef; errors: Errors; onChange: (d: ReportDef) => void }) {
  const { t } = useTranslation();
  const dims = (doc.dimensions ?? []).map((d) => ({ value: d.key, label: `${label(d.label, d.key)} (${d.key})` }));
  const measures = (doc.measures ?? []).map((m) => ({ value: m.key, label: `${label(m.label, m.key)} (${m.key})` }));
  const outputs = [...dims, ...measures, ...(doc.columns ?? []).map((c) => ({ value: c.key, label: `${label(c.label, c.key)} (${c.key})` }))];
  const type = doc.type ?? (doc.chart ? 'chart' : doc.pivot ? 'pivot' : 'table');
  const setType = (tp: (typeof REPORT_TYPES)[number]) => {
    let next: ReportDef = { ...doc, type: tp };
    if (tp === 'chart' && !doc.chart) next.chart = { kind: 'bar', ...(dims[0] ? { x: dims[0].value } : {}), ...(measures[0] ? { y: [measures[0].value] } : {}) };
    if (tp === 'pivot' && !doc.pivot && dims[1]) next.pivot = { columns: dims[1].value };
    if (tp !== 'pivot') next = withOptional(next, 'pivot', undefined);
    if (tp === 'table') next = withOptional(next, 'chart', undefined);
    onChange(next);
  };
  const chart = doc.chart;
  const setChart = (patch: Partial<NonNullable<ReportDef['chart']>>) => {
    const c = { ...(chart ?? { kind: 'bar' as const }), ...patch } as Record<string, unknown>;
    for (const k of Object.keys(c)) if (c[k] === undefined || (Array.isArray(c[k]) && !(c[k] as unknown[]).length)) delete c[k];
    onChange({ ...doc, chart: c as NonNullable<ReportDef['chart']> });
  };
  const sort = doc.sort ?? [];
  const sortOps = listOps(sort, (s) => onChange(withOptional(doc, 'sort', s.length ? s : undefined)));
  return (
    <Form layout="vertical" size="small" component="div" data-testid="display">
      <Form.Item label={t('reports.type')} {...itemStatus(errors, '/type')}>
        <Segmented data-testid="report-type" value={type} options={REPORT_TYPES.map((x) => ({ value: x, label: <span data-testid={`report-type-${x}`}>{t(`reports.types.${x}`)}</span> }))} onChange={(v) => setType(v as typeof type)} />
      </Form.Item>
      {type === 'pivot' && (
        <Form.Item label={t('reports.pivotColumns')} {...itemStatus(errors, '/pivot/columns')} {...(itemStatus(errors, '/pivot').help ? itemStatus(errors, '/pivot') : {})}>
          <Select value={doc.pivot?.columns} options={dims} onChange={(c: string) => onChange({ ...doc, pivot: { columns: c } })} data-testid="pivot-columns" />
        </Form.Item>
      )}
      {(type === 'chart' || chart) && (
        <div className="fwr-item" data-testid="chart-settings">
          <Form.Item label={t('reports.chart')} {...itemStatus(errors, '/chart/kind')} {...(itemStatus(errors, '/chart').help ? itemStatus(errors, '/chart') : {})}>
            <Segmented
              value={chart?.kind ?? 'bar'} data-testid="chart-kind"
              options={CHART_KINDS.map((k) => ({ value: k, label: <span data-testid={`chart-kind-${k}`}>{t(`reports.chartKinds.${k}`)}</span> }))}
              onChange={(k) => setChart({ kind: k as NonNullable<ReportDef['chart']>['kind'] })}
            />
          </Form.Item>
          {chart?.kind !== 'kpi' && (
            <div className="fwr-row">
              <Form.Item label={t('reports.x')} style={{ flex: 1 }} {...itemStatus(errors, '/chart/x')}>
                <Select allowClear value={chart?.x} options={dims} onChange={(x) => setChart({ x: x ?? undefined })} data-testid="chart-x" />
              </Form.Item>
              {(chart?.kind === 'bar' || chart?.kind === 'line') && (
                <Form.Item label={t('reports.series')} style={{ flex: 1 }} {...itemStatus(errors, '/chart/series')}>
                  <Select allowClear value={chart?.series} options={dims} onChange={(x) => setChart({ series: x ?? undefined })} data-testid="chart-series" />
                </Form.Item>
              )}
            </div>
          )}
          <Form.Item label={t('reports.y')} {...itemStatus(errors, '/chart/y')}>
            <Select mode="multiple" allowClear value={chart?.y ?? []} options={measures} onChange={(y: string[]) => setChart({ y })} data-testid="chart-y" />
          </Form.Item>
          {(chart?.kind === 'bar' || chart?.kind === 'line') && (
            <Form.Item label={t('reports.stacked')}>
              <Switch size="small" checked={!!chart?.stacked} onChange={(s) => setChart({ stacked: s || undefined })} />
            </Form.Item>
          )}
        </div>
      )}
      <Form.Item label={t('reports.sort')}>
        {sort.map((s, i) => (
          <div className="fwr-row" key={i}>
            <Select
              style={{ flex: 1 }} value={s.key} options={outputs} data-testid={`sort-${i}-key`}
              status={itemStatus(errors, `/sort/${i}/key`).help ? 'error' : undefined} onChange={(k: string) => sortOps.update(i, { key: k })}
            />
            <Switch size="small" checkedChildren={t('reports.desc')} unCheckedChildren="↑" checked={!!s.desc} onChange={(d) => sortOps.replace(i, withOptional(s, 'desc', d || undefined))} />
            <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => sortOps.remove(i)} aria-label={t('delete')} />
          </div>
        ))}
        {sort.map((_, i) => itemStatus(errors, `/sort/${i}/key`).help).filter(Boolean).map((h, i) => <div key={i} className="ant-form-item-explain-error">{h}</div>)}
        <Button size="small" icon={<PlusOutlined />} disabled={!outputs.length} onClick={() => sortOps.add({ key: outputs[0]!.value })} data-testid="add-sort">{t('reports.addSort')}</Button>
      </Form.Item>
      <div className="fwr-row">
        <Form.Item label={t('reports.limit')} style={{ flex: 1 }} {...itemStatus(errors, '/limit')}>
          <InputNumber min={1} max={10000} style={{ width: '100%' }} value={doc.limit ?? null} onChange={(l) => onChange(withOptional(doc, 'limit', l ?? undefined))} data-testid="limit" />
        </Form.Item>
        <Form.Item label={t('reports.totals')} style={{ flex: 1 }} {...itemStatus(errors, '/totals')}>
          <Switch size="small" checked={!!doc.totals} onChange={(c) => onChange(withOptional(doc, 'totals', c || undefined))} data-testid="totals" />
        </Form.Item>
      </div>
    </Form>
  );
}
