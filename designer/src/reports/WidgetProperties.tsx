/** One widget: its report, title, chart override, report params mapped onto dashboard filters (or fixed), position and size. */
import { Button, Form, InputNumber, Select } from 'antd';
import { DeleteOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { withOptional } from './DimensionsEditor';
import { JsonInput } from './JsonInput';
import { CHART_KINDS, errorsUnder, GRID_COLUMNS, itemStatus, type DashboardDef, type DashboardWidget, type Errors, type Layout, type ReportDef } from './model';

export function WidgetProperties({ widget, index, dashboard, reports, reportDefs, errors, onChange, onLayout, onRemove }: {
  widget: DashboardWidget; index: number; dashboard: DashboardDef; reports: Array<{ key: string; label: unknown }>;
  reportDefs: Record<string, ReportDef | null>; errors: Errors;
  onChange: (w: DashboardWidget) => void; onLayout: (l: Layout) => void; onRemove: () => void;
}) {
  const { t } = useTranslation();
  const at = `/widgets/${index}`;
  const def = reportDefs[widget.report];
  const filters = dashboard.filters ?? [];
  const mapping = widget.params ?? {};
  const setParam = (k: string, v: unknown) => {
    const next = { ...mapping };
    if (v === undefined) delete next[k];
    else next[k] = v;
    onChange(withOptional(widget, 'params', Object.keys(next).length ? next : undefined));
  };
  const l = widget.layout;
  return (
    <Form layout="vertical" size="small" component="div" data-testid="widget-properties">
      <Form.Item label={t('reports.report')} {...itemStatus(errors, `${at}/report`)}>
        <Select
          showSearch optionFilterProp="label" value={widget.report} data-testid="widget-report"
          options={reports.map((r) => ({ value: r.key, label: `${label(r.label, r.key)} (${r.key})` }))}
          onChange={(r: string) => onChange({ ...withOptional(withOptional(widget, 'params', undefined), 'chart', undefined), report: r })}
        />
      </Form.Item>
      <Form.Item label={t('reports.widgetTitle')} {...itemStatus(errors, `${at}/title`)}>
        <LabelInput id="widget-title" value={widget.title} onChange={(v) => onChange(withOptional(widget, 'title', v))} />
      </Form.Item>
      <Form.Item label={t('reports.chartOverride')} {...itemStatus(errors, `${at}/chart`)}>
        <Select
          allowClear value={widget.chart?.kind} data-testid="widget-chart"
          options={CHART_KINDS.map((k) => ({ value: k, label: t(`reports.chartKinds.${k}`) }))}
          onChange={(k) => onChange(withOptional(widget, 'chart', k ? { ...(def?.chart ?? {}), kind: k } : undefined))}
        />
      </Form.Item>
      {(def?.params ?? []).length > 0 && (
        <Form.Item label={t('reports.paramsMapping')}>
          {(def?.params ?? []).map((p) => {
            const v = mapping[p.key];
            const mode = v === undefined ? '' : typeof v === 'string' && v.startsWith('$filters.') ? v : '$literal';
            return (
              <div key={p.key} style={{ marginBottom: 6 }}>
                <div className="fwr-row">
                  <span style={{ width: 110, overflow: 'hidden', textOverflow: 'ellipsis' }}>{label(p.label, p.key)}</span>
                  <Select
                    style={{ flex: 1 }} value={mode} data-testid={`widget-param-${p.key}`}
                    status={errorsUnder(errors, `${at}/params/${p.key}`).length ? 'error' : undefined}
                    options={[
                      { value: '', label: t('reports.mapNone') },
                      ...filters.map((f) => ({ value: `$filters.${f.key}`, label: t('reports.mapFilter', { name: label(f.label, f.key) }) })),
                      { value: '$literal', label: t('reports.mapLiteral') },
                    ]}
                    onChange={(m: string) => setParam(p.key, m === '' ? undefined : m === '$literal' ? (p.default ?? null) : m)}
                  />
                </div>
                {mode === '$literal' && <JsonInput value={v} testId={`widget-param-${p.key}-value`} onChange={(x) => setParam(p.key, x === undefined ? null : x)} />}
                {errorsUnder(errors, `${at}/params/${p.key}`).map((m, i) => <div key={i} className="ant-form-item-explain-error">{m}</div>)}
              </div>
            );
          })}
        </Form.Item>
      )}
      <Form.Item label={t('reports.layout')} {...itemStatus(errors, `${at}/layout`)}>
        <div className="fwr-row">
          {(['x', 'y', 'w', 'h'] as const).map((k) => (
            <InputNumber
              key={k} size="small" style={{ width: 72 }} data-testid={`widget-${k}`} prefix={t(`reports.${k === 'x' ? 'x0' : k === 'y' ? 'y0' : k}`).slice(0, 1)}
              min={k === 'w' || k === 'h' ? 1 : 0} max={k === 'x' ? GRID_COLUMNS - 1 : k === 'w' ? GRID_COLUMNS : k === 'h' ? 100 : 1000} value={l[k]}
              onChange={(v) => v != null && onLayout({ ...l, [k]: v })}
            />
          ))}
        </div>
      </Form.Item>
      <Button danger icon={<DeleteOutlined />} onClick={onRemove} data-testid="widget-remove">{t('reports.removeWidget')}</Button>
    </Form>
  );
}
