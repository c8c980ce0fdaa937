/**
 * PLACEHOLDER — the roles designer is the second half of issue 8 (another engineer).
 * Replace this page; add deeper routes (e.g. '/roles/:key') in src/routes.tsx.
 */
import { AreaPlaceholder } from '../AreaPlaceholder';

export default function RolesPage() {
  return <AreaPlaceholder area="roles" api="/api/meta/roles" />;
}
