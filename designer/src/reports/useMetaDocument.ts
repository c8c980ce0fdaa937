/**
 * One report or dashboard document being edited: its draft with undo/redo, its list summary
 * (status, revision), the unsaved-changes guard, save draft (PUT) and publish (PUT, then POST
 * publish). A 422 from either lands in `errors` (JSON Pointer → messages) for the controls.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { App } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText, get } from '../api';
import type { DocumentSummary } from '../pages/Forms/index';
import { useDocumentHistory } from '../forms/useDocumentHistory';
import type { Errors } from './model';
import { useUnsavedGuard } from '../useEditorGuards';

export function useMetaDocument<T extends { key: string }>(kind: 'reports' | 'dashboards', key: string, empty: T) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const history = useDocumentHistory<T>(empty);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [summary, setSummary] = useState<DocumentSummary | null>(null);
  const [savedJson, setSavedJson] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [banner, setBanner] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'publish' | null>(null);
  const base = `/api/meta/${kind}/${encodeURIComponent(key)}`;

  const refreshSummary = useCallback(async () => {
    const list = await get<DocumentSummary[]>(`/api/meta/${kind}`);
    setSummary(list.find((d) => d.key === key) ?? null);
  }, [kind, key]);

  const load = useCallback(async () => {
    const draft = await get<T>(`${base}?draft=1`);
    history.reset(draft);
    setSavedJson(JSON.stringify(draft));
    setErrors({});
    setBanner(null);
    setLoaded(true);
    await refreshSummary();
  }, [base, refreshSummary]);

  useEffect(() => {
    load().catch((e) => setLoadError(errorText(e)));
  }, [load]);

  const docJson = useMemo(() => JSON.stringify(history.doc), [history.doc]);
  const dirty = loaded && docJson !== savedJson;

  // Unsaved changes: leaving asks first (in-app navigation and closing the tab).
  useUnsavedGuard(dirty);

  const fail = (e: unknown) => {
    setBanner(errorText(e));
    setErrors(e instanceof ApiError && e.fields ? e.fields : {});
  };

  const putDraft = async (): Promise<boolean> => {
    const sent = history.doc;
    try {
      await api('PUT', base, sent);
      setSavedJson(JSON.stringify(sent));
      setErrors({});
      setBanner(null);
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  };

  const save = async () => {
    setBusy('save');
    try {
      if (await putDraft()) {
        message.success(t('draftSaved'));
        await refreshSummary();
      }
    } finally {
      setBusy(null);
    }
  };

  const publish = async () => {
    setBusy('publish');
    try {
      if (!(await putDraft())) return;
      const r = await api<{ revision: number }>('POST', `${base}/publish`, {});
      message.success(t('published', { revision: r.revision }));
      await refreshSummary();
    } catch (e) {
      fail(e);
    } finally {
      setBusy(null);
    }
  };

  return { history, doc: history.doc, apply: history.apply, loaded, loadError, summary, dirty, errors, setErrors, banner, setBanner, busy, save, publish };
}
