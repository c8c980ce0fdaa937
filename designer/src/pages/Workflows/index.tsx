/**
 * PLACEHOLDER — the workflows designer is the second half of issue 8 (another engineer).
 * Replace this page; add deeper routes (e.g. '/workflows/:key') in src/routes.tsx.
 */
import { AreaPlaceholder } from '../AreaPlaceholder';

export default function WorkflowsPage() {
  return <AreaPlaceholder area="workflows" api="/api/meta/workflows" />;
}
