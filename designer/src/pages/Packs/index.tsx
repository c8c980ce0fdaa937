/**
 * PLACEHOLDER — the packs designer is the second half of issue 8 (another engineer).
 * Replace this page; add deeper routes (e.g. '/packs/:key') in src/routes.tsx.
 */
import { AreaPlaceholder } from '../AreaPlaceholder';

export default function PacksPage() {
  return <AreaPlaceholder area="packs" api="/api/packs" />;
}
