/** A report result drawn with ECharts (bar, line, pie, funnel), the way the runtime's dashboards draw it. */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, FunnelChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { ReportDef, ReportResult } from './model';
import { cellText } from './cellText';

echarts.use([BarChart, LineChart, PieChart, FunnelChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export function ReportChart({ result, chart, height = 320, testId }: {
  result: ReportResult; chart: NonNullable<ReportDef['chart']>; height?: number | string; testId: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const inst = echarts.init(el.current);
    const col = (k?: string) => result.columns.find((c) => c.key === k);
    const xCol = col(chart.x) ?? result.columns.find((c) => c.kind === 'dimension');
    const measures = result.columns.filter((c) => c.kind === 'measure').map((c) => c.key);
    const yKeys = (chart.y ?? []).filter((y) => col(y)).length ? chart.y!.filter((y) => col(y)) : measures;
    const sCol = col(chart.series);
    const xKey = xCol?.key ?? '';
    let option: echarts.EChartsCoreOption;
    if (chart.kind === 'pie' || chart.kind === 'funnel') {
      const y = yKeys[0] ?? '';
      option = {
        animation: false,
        tooltip: { trigger: 'item' },
        legend: { type: 'scroll', bottom: 0 },
        series: [{
          type: chart.kind, radius: chart.kind === 'pie' ? ['35%', '65%'] : undefined, top: 10, bottom: 40,
          data: result.rows.map((r) => ({ name: cellText(xCol, r[xKey]), value: r[y] })),
        }],
      };
    } else {
      const xs = [...new Set(result.rows.map((r) => String(r[xKey] ?? '')))];
      const type = chart.kind === 'line' ? 'line' : 'bar';
      const stack = chart.stacked ? 'all' : undefined;
      const series = sCol
        ? [...new Set(result.rows.map((r) => String(r[sCol.key] ?? '')))].map((n) => ({
            type, stack, name: cellText(sCol, n),
            data: xs.map((x) => result.rows.find((r) => String(r[xKey] ?? '') === x && String(r[sCol.key] ?? '') === n)?.[yKeys[0] ?? ''] ?? null),
          }))
        : yKeys.map((y) => ({
            type, stack, name: col(y)?.label ?? y,
            data: xs.map((x) => result.rows.find((r) => String(r[xKey] ?? '') === x)?.[y] ?? null),
          }));
      option = {
        animation: false,
        tooltip: { trigger: 'axis' },
        legend: { type: 'scroll', bottom: 0 },
        grid: { left: 8, right: 8, top: 16, bottom: 40, containLabel: true },
        xAxis: { type: 'category', data: xs.map((x) => cellText(xCol, x)) },
        yAxis: { type: 'value' },
        series,
      };
    }
    inst.setOption(option);
    const ro = new ResizeObserver(() => inst.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      inst.dispose();
    };
  }, [result, JSON.stringify(chart)]);
  return <div ref={el} className="fwr-chart" style={{ height }} data-testid={testId} />;
}
