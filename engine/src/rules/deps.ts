/**
 * Which fields a rule reads, and the order formulas must run in. Isomorphic.
 */
import type { FieldDef } from '../meta/types.js';

/** The first path segment of every `{"var": …}` in a json-logic expression ("a.b" → "a"). */
export function ruleVars(expr: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(expr)) {
    for (const e of expr) ruleVars(e, out);
  } else if (expr !== null && typeof expr === 'object') {
    for (const [op, arg] of Object.entries(expr as Record<string, unknown>)) {
      if (op === 'var') {
        const name = Array.isArray(arg) ? arg[0] : arg;
        if (typeof name === 'string' && name !== '') out.add(name.split('.')[0]!);
        else if (typeof name === 'number') out.add(String(name));
      } else {
        ruleVars(arg, out);
      }
    }
  }
  return out;
}

export class FormulaCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`formulas depend on each other in a cycle: ${cycle.join(' → ')}`);
  }
}

/**
 * The fields with a formula, ordered so that each runs after the formulas it reads.
 * Throws FormulaCycleError naming the cycle.
 */
export function formulaOrder(fields: FieldDef[]): FieldDef[] {
  const byKey = new Map(fields.filter((f) => f.formula !== undefined).map((f) => [f.key, f]));
  const order: FieldDef[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, stack: string[]) => {
    const f = byKey.get(key);
    if (!f) return;
    const s = state.get(key);
    if (s === 'done') return;
    if (s === 'visiting') throw new FormulaCycleError([...stack.slice(stack.indexOf(key)), key]);
    state.set(key, 'visiting');
    for (const dep of ruleVars(f.formula)) visit(dep, [...stack, key]);
    state.set(key, 'done');
    order.push(f);
  };
  for (const key of byKey.keys()) visit(key, []);
  return order;
}
