/** While on: the current (unsaved) dashboard run with real data (POST /api/dashboards/preview), again a moment after each edit. */
import { useEffect, useRef, useState } from 'react';
import { api, errorText } from '../api';
import type { DashboardDef, ReportResult } from './model';

export interface WidgetAnswer { id: string; result?: ReportResult; error?: { code: string; message: string } }

export function useDashboardPreview(on: boolean, doc: DashboardDef, filters: Record<string, unknown>, delay = 500) {
  const [answers, setAnswers] = useState<Record<string, WidgetAnswer> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const seq = useRef(0);
  // Only what changes the data: moving or resizing a widget does not run the preview again.
  const body = JSON.stringify({
    definition: doc,
    filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
    _shape: doc.widgets.map((w) => [w.id, w.report, w.params, w.chart]),
  });
  const key = JSON.stringify([JSON.parse(body)._shape, doc.filters, filters]);
  useEffect(() => {
    if (!on) {
      setAnswers(null);
      setError(null);
      return;
    }
    const n = ++seq.current;
    setRunning(true);
    const timer = setTimeout(() => {
      const { _shape, ...sent } = JSON.parse(body);
      api<{ widgets: WidgetAnswer[] }>('POST', '/api/dashboards/preview', sent).then(
        (r) => {
          if (n !== seq.current) return;
          setAnswers(Object.fromEntries(r.widgets.map((w) => [w.id, w])));
          setError(null);
          setRunning(false);
        },
        (e) => {
          if (n !== seq.current) return;
          setError(errorText(e));
          setRunning(false);
        },
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [on, key]);
  return { answers, error, running };
}
