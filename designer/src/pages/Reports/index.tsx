/**
 * PLACEHOLDER — the reports designer is the second half of issue 8 (another engineer).
 * Replace this page; add deeper routes (e.g. '/reports/:key') in src/routes.tsx.
 */
import { AreaPlaceholder } from '../AreaPlaceholder';

export default function ReportsPage() {
  return <AreaPlaceholder area="reports" api="/api/meta/reports, /api/meta/dashboards" />;
}
