import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Modal, Progress, Radio, Select, Space, Steps, Table, Typography, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { get, qs, upload } from '../api';
import { label } from '../i18n';
import { liveFields, type FormDef } from '../meta';

interface Issue { row: number; column: string | null; field: string | null; message: string }
interface ImportJob {
  id: string; status: 'queued' | 'running' | 'done' | 'failed'; phase: string | null; dryRun: boolean; total: number | null; processed: number;
  created: number; failedRows: number; errorCount: number; committed: boolean; mapping: Record<string, string | null>;
  errors?: Issue[]; warnings?: Issue[]; failure: any;
}

const IMPORTABLE = (t: string) => !['subtable', 'attachment', 'image', 'signature', 'autonumber'].includes(t);

/** Import: a file, its columns mapped onto fields, a dry run's report, then the import with a progress bar. */
export function ImportWizard({ form, open, onClose }: { form: FormDef; open: boolean; onClose: (imported: boolean) => void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState<Record<string, string | null>>({});
  const [mode, setMode] = useState<'all_or_nothing' | 'valid_only'>('all_or_nothing');
  const [dry, setDry] = useState<ImportJob | null>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const reset = () => {
    setFile(null); setMapping({}); setDry(null); setJob(null); setError(null); setBusy(false);
  };
  const url = (f: File, extra: Record<string, unknown>) =>
    `/api/records/${form.key}/import${qs({ fileName: f.name, mode, ...(Object.keys(mapping).length ? { mapping } : {}), ...extra })}`;

  const dryRun = async (f: File, m = mapping) => {
    setBusy(true); setError(null);
    try {
      const r = await upload<ImportJob>(`/api/records/${form.key}/import${qs({ fileName: f.name, mode, dryRun: 1, wait: 1, ...(Object.keys(m).length ? { mapping: m } : {}) })}`, f);
      setDry(r);
      setMapping(r.mapping ?? {});
    } catch (e: any) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  const poll = (id: string) => {
    get<ImportJob>(`/api/imports/${id}`).then((j) => {
      setJob(j);
      if (j.status === 'queued' || j.status === 'running') timer.current = setTimeout(() => poll(id), 400);
    }, (e) => setError(e.message));
  };
  const start = async () => {
    if (!file) return;
    setBusy(true); setError(null);
    try {
      const j = await upload<ImportJob>(url(file, {}), file);
      setJob(j);
      poll(j.id);
    } catch (e: any) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  const fields = liveFields(form).filter((f) => IMPORTABLE(f.type) && f.formula === undefined);
  const step = job ? 2 : dry ? 1 : 0;
  const finished = job && (job.status === 'done' || job.status === 'failed');
  const percent = job ? (job.status === 'done' ? 100 : job.total ? Math.round((job.processed / job.total) * 100) : 0) : 0;
  const issues = (job && finished ? job.errors : dry?.errors) ?? [];

  return (
    <Modal open={open} width={760} title={`${t('import')} · ${label(form.label, form.key)}`} footer={null} destroyOnHidden
      onCancel={() => { const imported = !!job?.created; reset(); onClose(imported); }}>
      <div data-testid="import-wizard">
        <Steps size="small" current={step} style={{ marginBottom: 16 }} items={[{ title: t('importFile') }, { title: t('importCheck') }, { title: t('import') }]} />
        {error && <Alert type="error" title={error} showIcon style={{ marginBottom: 12 }} />}
        {step === 0 && (
          <Upload.Dragger accept=".csv,.xlsx,text/csv" multiple={false} showUploadList={false} data-testid="import-file"
            beforeUpload={(f) => { setFile(f); setMapping({}); void dryRun(f, {}); return false; }}>
            <p className="ant-upload-drag-icon"><InboxOutlined /></p>
            <p>{t('importHint')}</p>
          </Upload.Dragger>
        )}
        {step === 1 && dry && file && (
          <>
            <Typography.Paragraph>{file.name} · {t('importRows', { count: dry.total ?? 0 })}</Typography.Paragraph>
            <Table size="small" pagination={false} rowKey="header" data-testid="import-mapping"
              dataSource={Object.keys(mapping).map((header) => ({ header }))}
              columns={[
                { title: t('importColumn'), dataIndex: 'header' },
                { title: t('field'), render: (_: unknown, r: { header: string }) => (
                  <Select style={{ minWidth: 200 }} allowClear placeholder={t('importIgnore')} value={mapping[r.header] ?? undefined} data-header={r.header}
                    options={fields.map((f) => ({ value: f.key, label: label(f.label, f.key) }))}
                    onChange={(v) => setMapping({ ...mapping, [r.header]: v ?? null })} />
                ) },
              ]} />
            <Space style={{ margin: '12px 0' }} wrap>
              <Radio.Group value={mode} onChange={(e) => setMode(e.target.value)}
                options={[{ value: 'all_or_nothing', label: t('importAllOrNothing') }, { value: 'valid_only', label: t('importValidOnly') }]} />
              <Button loading={busy} onClick={() => void dryRun(file)} data-testid="import-dry-run">{t('importCheckAgain')}</Button>
            </Space>
            <Alert type={dry.errorCount ? 'warning' : 'success'} showIcon data-testid="import-report"
              title={dry.errorCount ? t('importProblems', { count: dry.errorCount, rows: dry.failedRows }) : t('importReady', { count: dry.total ?? 0 })} />
            <div style={{ marginTop: 12, textAlign: 'right' }}>
              <Button onClick={reset} style={{ marginRight: 8 }}>{t('back')}</Button>
              <Button type="primary" loading={busy} disabled={mode === 'all_or_nothing' && dry.errorCount > 0} onClick={() => void start()} data-testid="import-start">{t('import')}</Button>
            </div>
          </>
        )}
        {step === 2 && job && (
          <>
            <Progress percent={percent} status={job.status === 'failed' ? 'exception' : finished ? 'success' : 'active'} data-testid="import-progress" />
            <Typography.Paragraph data-testid="import-status">
              {finished
                ? job.status === 'done' ? t('importDone', { created: job.created, failed: job.failedRows }) : t('importFailed')
                : t('importRunning', { processed: job.processed, total: job.total ?? '…' })}
            </Typography.Paragraph>
            {finished && <div style={{ textAlign: 'right' }}><Button type="primary" onClick={() => { reset(); onClose(true); }} data-testid="import-close">{t('importClose')}</Button></div>}
          </>
        )}
        {issues.length > 0 && (
          <Table size="small" style={{ marginTop: 12 }} rowKey={(r) => `${r.row}-${r.column}-${r.field}-${r.message}`} pagination={{ pageSize: 5 }} dataSource={issues}
            columns={[{ title: t('importRow'), dataIndex: 'row', width: 70 }, { title: t('importColumn'), dataIndex: 'column' }, { title: t('importMessage'), dataIndex: 'message' }]} />
        )}
      </div>
    </Modal>
  );
}
