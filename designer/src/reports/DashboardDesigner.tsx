/**
 * The dashboard designer (/designer/dashboards/:key): widgets on a 24-column grid, moved and
 * resized by dragging (or by numbers), each a published report with a title, a chart override
 * and its params mapped onto the dashboard's global filters; the filters; the dashboard's name.
 * "Preview with real data" runs the unsaved dashboard on the server. Save draft and publish.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Form, Select, Space, Spin, Tabs, Typography, AutoComplete, Empty } from 'antd';
import { EyeOutlined, EyeInvisibleOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import './reports.css';
import { get } from '../api';
import { label } from '../i18n';
import { navigate } from '../router';
import type { DocumentSummary } from '../pages/Forms/index';
import { LabelInput } from '../forms/LabelInput';
import { DashboardGrid } from './DashboardGrid';
import { withOptional } from './DimensionsEditor';
import { DocHeader } from './DocHeader';
import { FiltersEditor } from './FiltersEditor';
import { ParamInput } from './ParamInput';
import { ResultView } from './ResultView';
import { useDashboardPreview } from './useDashboardPreview';
import { useMetaDocument } from './useMetaDocument';
import { WidgetProperties } from './WidgetProperties';
import { errorsUnder, freePlace, itemStatus, placeWidget, uniqueKey, type DashboardDef, type DashboardWidget, type Errors, type Layout, type ReportDef } from './model';

const EMPTY: DashboardDef = { key: '', label: '', widgets: [] };

export default function DashboardDesignerPage({ dashboard }: { dashboard: string }) {
  const { t } = useTranslation();
  const state = useMetaDocument<DashboardDef>('dashboards', dashboard, EMPTY);
  const { doc, apply, loaded, loadError } = state;
  const [reports, setReports] = useState<DocumentSummary[]>([]);
  const [modules, setModules] = useState<string[]>([]);
  const [reportDefs, setReportDefs] = useState<Record<string, ReportDef | null>>({});
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState('widget');
  const [previewOn, setPreviewOn] = useState(false);
  const [filterValues, setFilterValues] = useState<Record<string, unknown>>({});
  const preview = useDashboardPreview(previewOn, doc, filterValues);

  useEffect(() => {
    get<DocumentSummary[]>('/api/meta/reports').then((l) => setReports(l.filter((r) => r.revision != null)), () => setReports([]));
    get<DocumentSummary[]>('/api/meta/dashboards').then((l) => setModules([...new Set(l.map((d) => d.module).filter(Boolean) as string[])].sort()), () => undefined);
  }, []);
  // The published definitions of the reports in use (their params and chart).
  const used = useMemo(() => [...new Set(doc.widgets.map((w) => w.report))].sort().join(','), [doc.widgets]);
  useEffect(() => {
    for (const k of used ? used.split(',') : []) {
      if (k in reportDefs) continue;
      setReportDefs((s) => ({ ...s, [k]: null }));
      get<ReportDef>(`/api/meta/reports/${encodeURIComponent(k)}`).then((d) => setReportDefs((s) => ({ ...s, [k]: d })), () => undefined);
    }
  }, [used]);

  const docJson = JSON.stringify(doc);
  useEffect(() => {
    if (Object.keys(state.errors).length) state.setErrors({});
  }, [docJson]);
  const errors: Errors = state.errors;

  if (loadError) return <Alert type="error" showIcon title={loadError} action={<Button onClick={() => void navigate('/reports?tab=dashboards')}>{t('back')}</Button>} />;
  if (!loaded) return <Spin style={{ margin: 24 }} />;

  const setWidgets = (widgets: DashboardWidget[], tag?: string) => apply((d) => ({ ...d, widgets }), tag);
  const onLayout = (id: string, l: Layout) => setWidgets(placeWidget(doc.widgets, id, l), `layout-${id}`);
  const addWidget = (report: string) => {
    const id = uniqueKey(`w${doc.widgets.length + 1}`, new Set(doc.widgets.map((w) => w.id)));
    setWidgets([...doc.widgets, { id, report, layout: freePlace(doc.widgets, 12, 6) }]);
    setSelected(id);
    setTab('widget');
  };
  const index = doc.widgets.findIndex((w) => w.id === selected);
  const widget = index >= 0 ? doc.widgets[index]! : null;
  const reportLabel = (k: string) => label(reports.find((r) => r.key === k)?.label, k);
  const problems = Object.entries(errors);

  const render = (w: DashboardWidget, height: number) => {
    const a = preview.answers?.[w.id];
    const title = label(w.title, '') || reportLabel(w.report);
    const i = doc.widgets.indexOf(w);
    const bad = errorsUnder(errors, `/widgets/${i}`);
    let body: React.ReactNode;
    if (bad.length) body = <Typography.Text type="danger">{bad.join('；')}</Typography.Text>;
    else if (!previewOn) body = <span>{t('reports.report')}: {reportLabel(w.report)} <Typography.Text code>{w.report}</Typography.Text>{w.chart ? ` · ${t(`reports.chartKinds.${w.chart.kind}`)}` : ''}</span>;
    else if (!preview.answers) body = <Spin size="small" />;
    else if (!a) body = <Typography.Text type="warning">{t('reports.notPublished')}</Typography.Text>;
    else if (a.error) body = <Typography.Text type="warning">{a.error.message}</Typography.Text>;
    else body = <ResultView result={a.result!} chart={w.chart ?? a.result!.chart} chartHeight={Math.max(80, height)} testId={`dw-${w.id}-preview`} />;
    return { title, body };
  };

  return (
    <div data-testid={`dashboard-designer-${dashboard}`}>
      <DocHeader
        title={label(doc.label, dashboard)} docKey={dashboard} state={state} back="/reports?tab=dashboards"
        extra={(
          <Button icon={previewOn ? <EyeInvisibleOutlined /> : <EyeOutlined />} loading={preview.running} onClick={() => setPreviewOn(!previewOn)} data-testid="dashboard-preview">
            {previewOn ? t('reports.stopPreview') : t('reports.runPreview')}
          </Button>
        )}
      />
      {state.banner && <Alert type="error" showIcon closable title={state.banner} onClose={() => state.setBanner(null)} style={{ marginBottom: 12 }} data-testid="designer-error" />}
      {problems.length > 0 && (
        <Alert
          type="warning" showIcon style={{ marginBottom: 12 }} data-testid="dashboard-problems" title={t('reports.problems')}
          description={<ul style={{ margin: 0, paddingInlineStart: 18 }}>{problems.map(([p, m]) => <li key={p}><Typography.Text code>{p || '/'}</Typography.Text> {m.join('；')}</li>)}</ul>}
        />
      )}
      {preview.error && <Alert type="error" showIcon title={preview.error} style={{ marginBottom: 12 }} data-testid="dashboard-preview-error" />}
      <div className="fwr-dash">
        <div>
          <Space wrap style={{ marginBottom: 8 }}>
            <Select
              showSearch optionFilterProp="label" style={{ width: 260 }} placeholder={t('reports.addWidget')} value={null as unknown as string} data-testid="add-widget"
              notFoundContent={t('reports.noReports')} options={reports.map((r) => ({ value: r.key, label: `${label(r.label, r.key)} (${r.key})` }))} onChange={addWidget}
            />
            {previewOn && (doc.filters ?? []).map((f) => (
              <Space key={f.key} size={4}>
                <Typography.Text type="secondary">{label(f.label, f.key)}</Typography.Text>
                <ParamInput type={f.type} options={f.options} value={filterValues[f.key]} testId={`preview-filter-${f.key}`} onChange={(v) => setFilterValues((s) => ({ ...s, [f.key]: v }))} />
              </Space>
            ))}
          </Space>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 6 }}>{t('reports.dragHint')}</Typography.Paragraph>
          {doc.widgets.length === 0 && <Empty description={t('reports.addWidget')} style={{ marginBottom: 8 }} />}
          <DashboardGrid widgets={doc.widgets} selected={selected} onSelect={(id) => { setSelected(id); setTab('widget'); }} onLayout={onLayout} render={render} />
        </div>
        <div className="fwr-side">
          <Tabs
            size="small" activeKey={tab} onChange={setTab}
            items={[
              {
                key: 'widget', label: <span data-testid="tab-widget">{t('reports.widget')}</span>,
                children: widget
                  ? <WidgetProperties
                      key={widget.id} widget={widget} index={index} dashboard={doc} reports={reports} reportDefs={reportDefs} errors={errors}
                      onChange={(w) => setWidgets(doc.widgets.map((x) => (x.id === w.id ? w : x)), `widget-${w.id}`)}
                      onLayout={(l) => onLayout(widget.id, l)}
                      onRemove={() => { setWidgets(doc.widgets.filter((x) => x.id !== widget.id)); setSelected(null); }}
                    />
                  : <Empty description={t('reports.selectWidget')} />,
              },
              {
                key: 'filters', label: <span data-testid="tab-filters">{t('reports.filters')}</span>,
                children: <FiltersEditor filters={doc.filters ?? []} errors={errors} onChange={(f) => apply((d) => withOptional(d, 'filters', f.length ? f : undefined), 'filters')} />,
              },
              {
                key: 'settings', label: <span data-testid="tab-settings">{t('reports.tab.settings')}</span>,
                children: (
                  <Form layout="vertical" size="small" component="div">
                    <Form.Item label={t('reports.label')} {...itemStatus(errors, '/label')}>
                      <LabelInput id="dashboard-label" value={doc.label} onChange={(l) => apply((d) => ({ ...d, label: l ?? '' }), 'label')} />
                    </Form.Item>
                    <Form.Item label={t('reports.module')} {...itemStatus(errors, '/module')}>
                      <AutoComplete value={doc.module ?? ''} options={modules.map((m) => ({ value: m }))} filterOption onChange={(m: string) => apply((d) => withOptional(d, 'module', m || undefined), 'module')} />
                    </Form.Item>
                    <Form.Item label={t('reports.description')} {...itemStatus(errors, '/description')}>
                      <LabelInput id="dashboard-description" textarea value={doc.description} onChange={(v) => apply((d) => withOptional(d, 'description', v), 'description')} />
                    </Form.Item>
                    {(doc.deliveries ?? []).length > 0 && <Typography.Text type="secondary">{t('reports.deliveriesKept', { count: doc.deliveries!.length })}</Typography.Text>}
                  </Form>
                ),
              },
            ]}
          />
        </div>
      </div>
    </div>
  );
}
