/**
 * The live preview: the current (unsaved) definition sent to POST /api/reports/preview a moment
 * after the last edit; the answer, or the server's error (a 422 names the JSON paths at fault).
 * A later edit supersedes an answer still on its way.
 */
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, errorText } from '../api';
import type { Errors, ReportDef, ReportResult } from './model';

export interface PreviewState {
  result: ReportResult | null;
  error: string | null;
  errors: Errors;
  running: boolean;
}

export function usePreview(doc: ReportDef | null, params: Record<string, unknown>, delay = 400): PreviewState {
  const [state, setState] = useState<PreviewState>({ result: null, error: null, errors: {}, running: false });
  const seq = useRef(0);
  const body = doc ? JSON.stringify({ definition: doc, params }) : null;
  useEffect(() => {
    if (!body) return;
    const n = ++seq.current;
    setState((s) => ({ ...s, running: true }));
    const timer = setTimeout(() => {
      api<ReportResult>('POST', '/api/reports/preview', JSON.parse(body)).then(
        (result) => n === seq.current && setState({ result, error: null, errors: {}, running: false }),
        (e) => n === seq.current && setState((s) => ({ result: s.result, error: errorText(e), errors: e instanceof ApiError ? e.fields ?? {} : {}, running: false })),
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [body, delay]);
  return state;
}
