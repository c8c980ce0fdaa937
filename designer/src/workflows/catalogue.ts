/** The node and trigger types the server has registered: fetched once per page load. */
import { useEffect, useState } from 'react';
import { get } from '../api';
import type { NodeTypeFacts, TriggerTypeFacts } from './model';

export interface Catalogue { nodes: NodeTypeFacts[]; triggers: TriggerTypeFacts[]; byType: Map<string, NodeTypeFacts> }

let pending: Promise<Catalogue> | null = null;

export function loadCatalogue(): Promise<Catalogue> {
  pending ??= Promise.all([
    get<NodeTypeFacts[]>('/api/meta/workflows/node-types'),
    get<TriggerTypeFacts[]>('/api/meta/workflows/trigger-types'),
  ]).then(([nodes, triggers]) => ({ nodes, triggers, byType: new Map(nodes.map((n) => [n.type, n])) }), (e) => {
    pending = null;
    throw e;
  });
  return pending;
}

export function useCatalogue(): { catalogue: Catalogue | null; error: unknown } {
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    loadCatalogue().then(setCatalogue, setError);
  }, []);
  return { catalogue, error };
}
