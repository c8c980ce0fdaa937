import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Card, Col, DatePicker, Empty, Input, InputNumber, Row, Select, Space, Spin, Statistic, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import * as echarts from 'echarts/core';
import { BarChart, FunnelChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useTranslation } from 'react-i18next';
import { api, get } from '../api';
import { label } from '../i18n';
import { formatMoney } from '../meta';
import { navigate } from '../router';

echarts.use([BarChart, LineChart, PieChart, FunnelChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

interface Column { key: string; label: string; type: string; kind: 'dimension' | 'measure' | 'column'; options?: Record<string, string> | Array<{ key: string; label: unknown }> }
interface Result {
  columns: Column[]; rows: Record<string, unknown>[]; type: string;
  chart?: { kind: string; x?: string; series?: string; y?: string[]; stacked?: boolean };
  drill?: Array<{ form: string; filter: unknown } | null>; ids?: number[]; totals?: Record<string, unknown>;
}
interface Widget { id: string; report: string; title: string; type: string; chart?: Result['chart']; layout: { x: number; y: number; w: number; h: number } }
interface Filter { key: string; type: string; label: string; value: unknown; options?: Array<{ key: string; label: unknown }> }
interface Dashboard { key: string; label: string; description?: string | null; filters: Filter[]; widgets: Widget[] }

function cellText(c: Column | undefined, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (!c) return String(v);
  if (c.options && typeof v === 'string') {
    const found = Array.isArray(c.options) ? c.options.find((o) => o.key === v)?.label : c.options[v];
    return found === undefined ? v : label(found, v);
  }
  if (c.type === 'money') return formatMoney(v);
  if (c.type === 'percent' && typeof v === 'number') return `${(v * 100).toFixed(1)}%`;
  return String(v);
}

function drillTo(result: Result, index: number) {
  const d = result.drill?.[index];
  if (d) void navigate(`/records/${d.form}?filter=${encodeURIComponent(JSON.stringify(d.filter))}`);
}

function Chart({ result, widget }: { result: Result; widget: Widget }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = result.chart ?? widget.chart ?? { kind: 'bar' };
  useEffect(() => {
    if (!el.current) return;
    const inst = echarts.init(el.current);
    const col = (k?: string) => result.columns.find((c) => c.key === k);
    const xCol = col(chart.x) ?? result.columns.find((c) => c.kind === 'dimension');
    const yKeys = chart.y?.length ? chart.y : result.columns.filter((c) => c.kind === 'measure').map((c) => c.key);
    const sCol = col(chart.series);
    const xKey = xCol?.key ?? '';
    const fmt = (k: string) => (v: unknown) => cellText(col(k), v);
    let option: echarts.EChartsCoreOption;
    if (chart.kind === 'pie' || chart.kind === 'funnel') {
      const y = yKeys[0]!;
      option = {
        tooltip: { trigger: 'item' },
        legend: { type: 'scroll', bottom: 0 },
        series: [{
          type: chart.kind, radius: chart.kind === 'pie' ? ['35%', '65%'] : undefined, top: 10, bottom: 40,
          data: result.rows.map((r, i) => ({ name: cellText(xCol, r[xKey]), value: r[y], rowIndex: i })),
        }],
      };
    } else {
      const xs = [...new Set(result.rows.map((r) => String(r[xKey] ?? '')))];
      const type = chart.kind === 'line' ? 'line' : 'bar';
      let series: unknown[];
      if (sCol) {
        const names = [...new Set(result.rows.map((r) => String(r[sCol.key] ?? '')))];
        const y = yKeys[0]!;
        series = names.map((n) => ({
          type, name: cellText(sCol, n), stack: chart.stacked ? 'all' : undefined,
          data: xs.map((x) => {
            const i = result.rows.findIndex((r) => String(r[xKey] ?? '') === x && String(r[sCol.key] ?? '') === n);
            return i < 0 ? null : { value: result.rows[i]![y], rowIndex: i };
          }),
        }));
      } else {
        series = yKeys.map((y) => ({
          type, name: col(y)?.label ?? y, stack: chart.stacked ? 'all' : undefined,
          data: xs.map((x) => {
            const i = result.rows.findIndex((r) => String(r[xKey] ?? '') === x);
            return { value: result.rows[i]![y], rowIndex: i };
          }),
        }));
      }
      option = {
        tooltip: { trigger: 'axis', valueFormatter: fmt(yKeys[0]!) },
        legend: { type: 'scroll', bottom: 0 },
        grid: { left: 8, right: 8, top: 16, bottom: 40, containLabel: true },
        xAxis: { type: 'category', data: xs.map((x) => cellText(xCol, x)) },
        yAxis: { type: 'value' },
        series,
      };
    }
    inst.setOption(option);
    inst.on('click', (p: any) => typeof p.data?.rowIndex === 'number' && drillTo(result, p.data.rowIndex));
    const ro = new ResizeObserver(() => inst.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      inst.dispose();
    };
  }, [result]);
  return <div ref={el} className="fw-chart" data-testid={`chart-${widget.id}`} />;
}

function WidgetBody({ widget, result }: { widget: Widget; result: Result }) {
  const kind = result.chart?.kind ?? widget.chart?.kind;
  if (result.rows.length === 0) return <Empty />;
  if (kind === 'kpi') {
    const y = result.chart?.y?.[0] ?? result.columns.find((c) => c.kind === 'measure')?.key;
    const c = result.columns.find((x) => x.key === y);
    return <Statistic title={c?.label} value={cellText(c, result.rows[0]?.[y ?? ''])} />;
  }
  if ((result.type === 'chart' || widget.type === 'chart') && kind) return <Chart result={result} widget={widget} />;
  return (
    <Table size="small" rowKey={(_, i) => String(i)} pagination={result.rows.length > 10 ? { pageSize: 10 } : false} scroll={{ x: 'max-content' }}
      dataSource={result.rows}
      onRow={(_, i) => ({ onClick: () => drillTo(result, i ?? 0), style: result.drill?.[i ?? 0] ? { cursor: 'pointer' } : undefined })}
      columns={result.columns.map((c) => ({ key: c.key, dataIndex: c.key, title: c.label, align: c.kind === 'measure' ? ('right' as const) : undefined, render: (v: unknown) => cellText(c, v) }))} />
  );
}

function FilterInput({ f, value, onChange }: { f: Filter; value: any; onChange: (v: unknown) => void }) {
  switch (f.type) {
    case 'date_range':
      return <DatePicker.RangePicker value={value?.from ? [dayjs(value.from), dayjs(value.to)] : null}
        onChange={(r) => onChange(r && r[0] && r[1] ? { from: r[0].format('YYYY-MM-DD'), to: r[1].format('YYYY-MM-DD') } : null)} />;
    case 'date':
      return <DatePicker value={value ? dayjs(value) : null} onChange={(d) => onChange(d ? d.format('YYYY-MM-DD') : null)} />;
    case 'select':
      return <Select allowClear style={{ minWidth: 140 }} value={value ?? undefined} onChange={(v) => onChange(v ?? null)} options={(f.options ?? []).map((o) => ({ value: o.key, label: label(o.label, o.key) }))} />;
    case 'number': case 'department': case 'user':
      return <InputNumber value={value ?? null} onChange={(v) => onChange(v ?? null)} />;
    default:
      return <Input value={value ?? ''} onChange={(e) => onChange(e.target.value || null)} />;
  }
}

export function DashboardsPage({ dashboard }: { dashboard?: string }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const [items, setItems] = useState<Array<{ key: string; label: unknown }> | null>(null);
  const [dash, setDash] = useState<Dashboard | null>(null);
  const [filters, setFilters] = useState<Record<string, unknown>>({});
  const [results, setResults] = useState<Record<string, { result?: Result; error?: any }>>({});
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const current = dashboard ?? items?.[0]?.key;

  useEffect(() => {
    get<{ items: any[] }>('/api/dashboards').then((r) => setItems(r.items), (e) => setError(e.message));
  }, [i18n.language]);

  const run = async (key: string, f: Record<string, unknown>) => {
    setRunning(true);
    try {
      const r = await api<{ widgets: Array<{ id: string; result?: Result; error?: any }> }>('POST', `/api/dashboards/${key}/run`, { filters: f });
      setResults(Object.fromEntries(r.widgets.map((w) => [w.id, w])));
    } catch (e: any) {
      message.error(e.message);
    } finally {
      setRunning(false);
    }
  };

  useEffect(() => {
    if (!current) return;
    setDash(null);
    setResults({});
    get<Dashboard>(`/api/dashboards/${current}`).then((d) => {
      setDash(d);
      const f = Object.fromEntries(d.filters.map((x) => [x.key, x.value ?? null]));
      setFilters(f);
      void run(d.key, f);
    }, (e) => setError(e.message));
  }, [current, i18n.language]);

  const widgets = useMemo(() => [...(dash?.widgets ?? [])].sort((a, b) => a.layout.y - b.layout.y || a.layout.x - b.layout.x), [dash]);
  if (error) return <Alert type="error" title={error} />;
  if (!items) return <Spin />;
  if (items.length === 0) return <Empty />;

  return (
    <div data-testid="dashboards">
      <div className="fw-toolbar">
        <Select value={current} style={{ minWidth: 180 }} data-testid="dashboard-select"
          options={items.map((d) => ({ value: d.key, label: label(d.label, d.key) }))} onChange={(k) => void navigate(`/dashboards/${k}`)} />
        {dash?.filters.map((f) => (
          <Space key={f.key} size={4}>
            <Typography.Text type="secondary">{f.label}</Typography.Text>
            <FilterInput f={f} value={filters[f.key]} onChange={(v) => setFilters({ ...filters, [f.key]: v })} />
          </Space>
        ))}
        {dash && <Button type="primary" loading={running} onClick={() => void run(dash.key, filters)} data-testid="dashboard-run">{t('run')}</Button>}
      </div>
      {!dash ? <Spin /> : (
        <Row gutter={[12, 12]}>
          {widgets.map((w) => {
            const r = results[w.id];
            return (
              <Col key={w.id} xs={24} md={Math.max(8, Math.min(24, w.layout.w))}>
                <Card size="small" title={w.title} data-testid={`widget-${w.id}`}>
                  {!r ? <Spin /> : r.error ? <Alert type="warning" title={r.error.message ?? String(r.error)} /> : <WidgetBody widget={w} result={r.result!} />}
                </Card>
              </Col>
            );
          })}
        </Row>
      )}
    </div>
  );
}
