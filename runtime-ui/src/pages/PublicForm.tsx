/**
 * A public form link (/p/:slug): no login, outside the app shell, phone first. The link's fields
 * render with the same rjsf machinery as the record form (live rules); a honeypot input `_hp`
 * that people never see or reach; the server's answer (thanks, field errors, too many, gone).
 */
import { useEffect, useState } from 'react';
import { Alert, Button, Card, Result, Spin, Typography } from 'antd';
import { TranslationOutlined } from '@ant-design/icons';
import Form from '@rjsf/antd';
import validator from '@rjsf/validator-ajv8';
import { getDefaultFormState, type ErrorSchema, type RJSFSchema } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { formJsonSchema } from '../../../engine/src/meta/json-schema';
import { computeValues, ruleErrors } from '../../../engine/src/rules/evaluate';
import { api, ApiError } from '../api';
import { lang, msgText, setLang } from '../i18n';
import { liveFields, type FormDef } from '../meta';
import { WIDGETS } from '../widgets';
import { ComputedWidget, DEFAULTS_BEHAVIOR, TEMPLATES, toErrorSchema, useLiveForm } from './FormPage';

type Values = Record<string, unknown>;
const widgets = { ...WIDGETS, computed: ComputedWidget };

export function PublicFormPage({ slug }: { slug: string }) {
  const { t, i18n } = useTranslation();
  const [def, setDef] = useState<{ title: string; form: FormDef } | null>(null);
  const [gone, setGone] = useState<string | null>(null);
  const [data, setData] = useState<Values>({});
  const [hp, setHp] = useState('');
  const [errors, setErrors] = useState<ErrorSchema | undefined>(undefined);
  const [banner, setBanner] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let stale = false;
    api<{ title: string; form: FormDef }>('GET', `/api/public/forms/${encodeURIComponent(slug)}`).then((r) => {
      if (stale) return;
      setDef(r);
      setData((d) => {
        if (Object.keys(d).length) return d;
        const { schema } = formJsonSchema(r.form, lang());
        return computeValues(r.form, getDefaultFormState(validator, schema as RJSFSchema, {}, schema as RJSFSchema, false, DEFAULTS_BEHAVIOR) as Values);
      });
    }, (e) => !stale && setGone(e instanceof ApiError && e.status === 404 ? t('publicNotFound') : e instanceof Error ? e.message : String(e)));
    return () => { stale = true; };
  }, [slug, i18n.language]);

  const form = def?.form ?? null;
  const { live, context } = useLiveForm(form, data);

  const submit = async () => {
    if (!form) return;
    setBanner(null);
    const clientErrors = ruleErrors(form, data);
    if (Object.keys(clientErrors).length) {
      setErrors(toErrorSchema(Object.fromEntries(Object.entries(clientErrors).map(([k, ms]) => [k, ms.map((m) => msgText(m))]))));
      setBanner(t('fixErrors'));
      return;
    }
    const values: Values = {};
    for (const f of liveFields(form)) {
      if (f.formula !== undefined || f.type === 'autonumber') continue;
      if (data[f.key] !== undefined) values[f.key] = data[f.key];
    }
    setBusy(true);
    try {
      const r = await api<{ ok: boolean; message?: string }>('POST', `/api/public/forms/${encodeURIComponent(slug)}`, { values, _hp: hp });
      setErrors(undefined);
      setDone(r.message || t('publicThanks'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.fields) {
        setErrors(toErrorSchema(e.fields));
        setBanner(t('fixErrors'));
      } else if (e instanceof ApiError && e.status === 429) {
        setBanner(t('publicTooMany'));
      } else if (e instanceof ApiError && e.status === 404) {
        setGone(t('publicNotFound'));
      } else {
        setBanner(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setBusy(false);
    }
  };

  const langButton = (
    <Button type="text" size="small" icon={<TranslationOutlined />} data-testid="lang-switch" onClick={() => setLang(lang() === 'en' ? 'zh-CN' : 'en')}>
      {t('language')}
    </Button>
  );
  let body: React.ReactNode;
  if (gone) body = <Result status="warning" title={gone} data-testid="public-not-found" />;
  else if (done) body = <Result status="success" title={done} data-testid="public-success" />;
  else if (!form || !live || !context) body = <Spin style={{ display: 'block', margin: 32 }} />;
  else {
    body = (
      <>
        {banner && <Alert type="error" title={banner} showIcon style={{ marginBottom: 12 }} data-testid="form-error" />}
        <Form
          className="fw-form fw-public-form"
          schema={live.schema}
          uiSchema={live.uiSchema}
          formData={data}
          validator={validator}
          noValidate
          noHtml5Validate
          experimental_defaultFormStateBehavior={DEFAULTS_BEHAVIOR}
          showErrorList={false}
          extraErrors={errors}
          formContext={context}
          widgets={widgets}
          templates={TEMPLATES}
          onChange={(e) => setData(computeValues(form, (e.formData ?? {}) as Values))}
          onSubmit={() => void submit()}
        >
          {/* A honeypot: off-screen, out of the tab order, hidden from assistive technology; only robots fill it. */}
          <div className="fw-hp" aria-hidden="true">
            <label htmlFor="fw-hp-input">Leave this empty</label>
            <input id="fw-hp-input" type="text" name="_hp" tabIndex={-1} autoComplete="off" value={hp} onChange={(e) => setHp(e.target.value)} />
          </div>
          <Button type="primary" htmlType="submit" block size="large" loading={busy} data-testid="public-submit" style={{ marginTop: 8 }}>{t('submitForm')}</Button>
        </Form>
      </>
    );
  }
  return (
    <div className="fw-public" data-testid="public-form">
      <div className="fw-public-head">
        <Typography.Title level={4} style={{ margin: 0 }} data-testid="public-title">{def?.title ?? ''}</Typography.Title>
        {langButton}
      </div>
      <Card size="small">{body}</Card>
    </div>
  );
}
