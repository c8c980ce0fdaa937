/**
 * The report designer (/designer/reports/:key): source, dimensions, measures, filter, params,
 * display (table / pivot / chart, sort, limit, totals) and settings on the left; on the right a
 * live preview of the current, unsaved definition run on the server (POST /api/reports/preview)
 * and drawn as the runtime draws it. Save draft and publish; a 422 (from the preview, the save or
 * the publish check) marks the controls its JSON Pointers name.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Form, Segmented, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { LoadingOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import './reports.css';
import { get } from '../api';
import { label, lang } from '../i18n';
import { navigate } from '../router';
import type { DocumentSummary } from '../pages/Forms/index';
import { RuleBuilder } from '../forms/RuleBuilder';
import { ColumnsEditor } from './ColumnsEditor';
import { DimensionsEditor, withOptional } from './DimensionsEditor';
import { DisplayEditor } from './DisplayEditor';
import { DocHeader } from './DocHeader';
import { MeasuresEditor } from './MeasuresEditor';
import { ParamInput } from './ParamInput';
import { ParamsEditor } from './ParamsEditor';
import { ResultView } from './ResultView';
import { SettingsEditor } from './SettingsEditor';
import { useMetaDocument } from './useMetaDocument';
import { usePreview } from './usePreview';
import { errorsUnder, fieldPaths, followRenames, keyFromPath, itemStatus, outputKeys, type Errors, type FormDef, type ReportDef } from './model';

const EMPTY: ReportDef = { key: '', label: '', category: 'custom', source: '' };

/** A detail report: columns instead of dimensions and measures (and nothing that named them). */
function toDetail(doc: ReportDef, paths: Array<{ path: string; text: string }>): ReportDef {
  const { dimensions: _d, measures: _m, pivot: _p, chart: _c, having: _h, sort: _s, ...rest } = doc;
  const first = paths[0];
  return { ...rest, type: 'table', columns: doc.columns?.length ? doc.columns : first ? [{ key: keyFromPath(first.path), field: first.path, label: first.text }] : [] };
}

/** Back to an aggregate report: a count to start from. */
function toAggregate(doc: ReportDef): ReportDef {
  const { columns: _c, sort: _s, ...rest } = doc;
  return { ...rest, measures: doc.measures?.length ? doc.measures : [{ key: 'count', op: 'count', label: { 'zh-CN': '数量', en: 'Count' } }] };
}

/** The source form and the forms its relation fields point at (for paths like model.brand). */
function useSourceForms(source: string | undefined) {
  const [form, setForm] = useState<FormDef | null>(null);
  const [related, setRelated] = useState<Record<string, FormDef>>({});
  useEffect(() => {
    if (!source) return;
    let live = true;
    get<FormDef>(`/api/meta/forms/${encodeURIComponent(source)}`).then(async (f) => {
      if (!live) return;
      setForm(f);
      const targets = [...new Set(f.fields.filter((x) => x.type === 'relation' && x.relation?.form).map((x) => x.relation!.form))];
      const pairs = await Promise.all(targets.map((k) => get<FormDef>(`/api/meta/forms/${encodeURIComponent(k)}`).then((d) => [k, d] as const, () => null)));
      if (live) setRelated(Object.fromEntries(pairs.filter(Boolean) as Array<readonly [string, FormDef]>));
    }, () => live && (setForm(null), setRelated({})));
    return () => {
      live = false;
    };
  }, [source]);
  return { form, related };
}

export default function ReportDesignerPage({ report }: { report: string }) {
  const { t, i18n } = useTranslation();
  const state = useMetaDocument<ReportDef>('reports', report, EMPTY);
  const { doc, apply, loaded, loadError } = state;
  const [forms, setForms] = useState<DocumentSummary[]>([]);
  const [modules, setModules] = useState<string[]>([]);
  const [roles, setRoles] = useState<Array<{ key: string; label: unknown }> | null>(null);
  const [tab, setTab] = useState('data');
  const [previewParams, setPreviewParams] = useState<Record<string, unknown>>({});
  const { form: source, related } = useSourceForms(loaded ? doc.source : undefined);

  useEffect(() => {
    get<DocumentSummary[]>('/api/meta/forms').then((l) => setForms(l.filter((f) => f.revision != null)), () => setForms([]));
    get<DocumentSummary[]>('/api/meta/reports').then((l) => setModules([...new Set(l.map((d) => d.module).filter(Boolean) as string[])].sort()), () => undefined);
    get<Array<{ key: string; label: unknown }>>('/api/meta/roles').then(setRoles, () => setRoles(null));
  }, []);

  const paths = useMemo(() => fieldPaths(source, related, i18n.language), [source, related, i18n.language]);
  const sourceFields = useMemo(() => (source?.fields ?? []).filter((f) => !f.deleted), [source]);
  const taken = useMemo(() => outputKeys(doc), [doc]);
  const set = (next: ReportDef, tag?: string) => apply(() => next, tag);

  const sentParams = useMemo(() => Object.fromEntries(Object.entries(previewParams).filter(([k, v]) => v !== undefined && (doc.params ?? []).some((p) => p.key === k))), [previewParams, doc.params]);
  const preview = usePreview(loaded && doc.source ? doc : null, sentParams);

  // The latest server answer speaks: a failed save/publish until the next edit, else the preview's.
  const docJson = JSON.stringify(doc);
  useEffect(() => {
    if (Object.keys(state.errors).length) state.setErrors({});
  }, [docJson]);
  const errors: Errors = Object.keys(state.errors).length ? state.errors : preview.errors;
  const problems = Object.entries(errors);

  if (loadError) return <Alert type="error" showIcon title={loadError} action={<Button onClick={() => void navigate('/reports')}>{t('back')}</Button>} />;
  if (!loaded) return <Spin style={{ margin: 24 }} />;

  const detail = (doc.columns ?? []).length > 0;
  const tabErr = (...prefixes: string[]) => prefixes.some((p) => errorsUnder(errors, p).length > 0);
  const tabLabel = (key: string, bad: boolean) => <span data-testid={`tab-${key}`}>{t(`reports.tab.${key}`)}{bad && <Tag color="error" style={{ marginInlineStart: 4 }}>!</Tag>}</span>;

  return (
    <div data-testid={`report-designer-${report}`}>
      <DocHeader title={label(doc.label, report)} docKey={report} state={state} back="/reports" />
      {state.banner && <Alert type="error" showIcon closable title={state.banner} onClose={() => state.setBanner(null)} style={{ marginBottom: 12 }} data-testid="designer-error" />}
      {problems.length > 0 && (
        <Alert
          type="warning" showIcon style={{ marginBottom: 12 }} data-testid="report-problems" title={t('reports.problems')}
          description={<ul style={{ margin: 0, paddingInlineStart: 18 }}>{problems.map(([p, m]) => <li key={p}><Typography.Text code>{p || '/'}</Typography.Text> {m.join('；')}</li>)}</ul>}
        />
      )}
      <div className="fwr-designer">
        <div className="fwr-side">
          <Tabs
            size="small" activeKey={tab} onChange={setTab}
            items={[
              {
                key: 'data', label: tabLabel('data', tabErr('/dimensions', '/measures', '/columns')),
                children: (
                  <>
                    <Form.Item label={t('reports.detailOrAggregate')} style={{ marginBottom: 8 }}>
                      <Segmented
                        data-testid="report-shape" value={detail ? 'detail' : 'aggregate'}
                        options={[{ value: 'aggregate', label: t('reports.aggregate') }, { value: 'detail', label: <span data-testid="report-shape-detail">{t('reports.detail')}</span> }]}
                        onChange={(v) => set(v === 'detail' ? toDetail(doc, paths) : toAggregate(doc), 'shape')}
                      />
                    </Form.Item>
                    {detail ? (
                      <>
                        <Typography.Title level={5}>{t('reports.columns')}</Typography.Title>
                        {itemStatus(errors, '').help && <Alert type="error" title={itemStatus(errors, '').help} style={{ marginBottom: 8 }} />}
                        <ColumnsEditor columns={doc.columns ?? []} paths={paths} taken={taken} errors={errors} onChange={(c) => set(followRenames(withOptional(doc, 'columns', c.length ? c : undefined), doc.columns ?? [], c), 'columns')} />
                      </>
                    ) : (
                  <>
                    <Typography.Title level={5}>{t('reports.dimensions')}</Typography.Title>
                    <DimensionsEditor dims={doc.dimensions ?? []} paths={paths} taken={taken} errors={errors} onChange={(d) => set(followRenames(withOptional(doc, 'dimensions', d.length ? d : undefined), doc.dimensions ?? [], d), 'dims')} />
                    <Typography.Title level={5} style={{ marginTop: 16 }}>{t('reports.measures')}</Typography.Title>
                    {errorsUnder(errors, '/measures').length === 0 && itemStatus(errors, '').help && <Alert type="error" title={itemStatus(errors, '').help} style={{ marginBottom: 8 }} />}
                    <MeasuresEditor measures={doc.measures ?? []} paths={paths} fields={sourceFields} taken={taken} errors={errors} onChange={(m) => set(followRenames(withOptional(doc, 'measures', m.length ? m : undefined), doc.measures ?? [], m), 'measures')} />
                  </>
                    )}
                  </>
                ),
              },
              {
                key: 'filter', label: tabLabel('filter', tabErr('/filter', '/params', '/having')),
                children: (
                  <Form layout="vertical" size="small" component="div">
                    <Form.Item label={t('reports.filter')} {...itemStatus(errors, '/filter')}>
                      <RuleBuilder value={doc.filter} fields={sourceFields} testId="report-filter" onChange={(v) => set(withOptional(doc, 'filter', v as ReportDef['filter']), 'filter')} />
                    </Form.Item>
                    <Form.Item label={t('reports.params')}>
                      <ParamsEditor params={doc.params ?? []} paths={paths} errors={errors} onChange={(p) => set(withOptional(doc, 'params', p.length ? p : undefined), 'params')} />
                    </Form.Item>
                  </Form>
                ),
              },
              { key: 'display', label: tabLabel('display', tabErr('/type', '/chart', '/pivot', '/sort', '/limit', '/totals')), children: <DisplayEditor doc={doc} errors={errors} onChange={(d) => set(d, 'display')} /> },
              {
                key: 'settings', label: tabLabel('settings', tabErr('/label', '/source', '/category', '/module', '/description', '/roles', '/key')),
                children: <SettingsEditor doc={doc} errors={errors} forms={forms} modules={modules} roles={roles} onChange={(d) => set(d, 'settings')} />,
              },
            ]}
          />
        </div>
        <div className="fwr-preview">
          <Card
            size="small" data-testid="report-preview"
            title={<Space>{t('reports.preview')}{preview.running && <LoadingOutlined data-testid="preview-running" />}</Space>}
            extra={preview.result && !preview.error && (
              <Space>
                <Typography.Text type="secondary" data-testid="preview-count">{t('reports.previewRows', { count: preview.result.rows.length })}</Typography.Text>
                {preview.result.truncated && <Tag color="orange">{t('reports.truncated', { count: preview.result.rows.length })}</Tag>}
              </Space>
            )}
          >
            <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('reports.previewHint')}</Typography.Paragraph>
            {(doc.params ?? []).length > 0 && (
              <Space wrap style={{ marginBottom: 8 }} data-testid="preview-params">
                {(doc.params ?? []).map((p) => (
                  <Space key={p.key} size={4}>
                    <Typography.Text type="secondary">{label(p.label, p.key)}</Typography.Text>
                    <ParamInput
                      type={p.type} options={p.options} value={previewParams[p.key]} testId={`preview-param-${p.key}`}
                      status={errors[`params.${p.key}`] ? 'error' : undefined} onChange={(v) => setPreviewParams((s) => ({ ...s, [p.key]: v }))}
                    />
                  </Space>
                ))}
              </Space>
            )}
            {preview.error && <Alert type="error" showIcon title={t('reports.previewFailed')} description={preview.error} style={{ marginBottom: 8 }} data-testid="preview-error" />}
            {!preview.result && !preview.error && <Spin />}
            {preview.result && !preview.error && (
              <div data-testid="preview-result" data-lang={lang()}>
                <ResultView result={preview.result} testId="preview" />
              </div>
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}
