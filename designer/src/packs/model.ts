/** The packs screens' shapes (docs/api-extensions.md "Template packs") and file helpers. */
import i18n from '../i18n';

export interface Bundle { manifest: { name: string; version: string; label?: unknown; modules?: string[] }; documents: Array<{ kind: string; key: string; doc: unknown }> }
export interface InstalledPack { name: string; version: string; installedAt: string; label?: unknown; modules?: string[] }
export interface PlanStep { op: string; field?: string; table?: string; column?: string; destructive: boolean }
export interface InstallPlan {
  pack: { name: string; version: string; installed: string | null };
  token: string;
  documents: Array<{ kind: string; key: string; action: 'add' | 'update' | 'unchanged' | 'conflict' }>;
  tables: Array<{ form: string; table: string; create: boolean; steps: PlanStep[] }>;
  dependencies: Array<{ name: string; range: string; installed: string | null; ok: boolean }>;
}
export interface InstallResult { installed: Array<{ kind: string; key: string; revision: number }>; unchanged: Array<{ kind: string; key: string }>; conflicts: Array<{ document: string; path: string; ours: unknown; theirs: unknown }> }
export interface Conflict { document: string; path: string; base?: unknown; ours?: unknown; theirs?: unknown }
export interface UpgradeResult {
  applied: boolean; from: string | null; to: string;
  merged: Array<{ document: string; revision: number | null; keptLocal: number }>;
  unchanged: string[]; added: string[]; removed: string[]; conflicts: Conflict[];
}
export type Choice = 'local' | 'pack';

/** A bundle file chosen in the browser, parsed; throws an Error with a readable message. */
export async function readBundleFile(file: File): Promise<Bundle> {
  let parsed: any;
  try {
    parsed = JSON.parse(await file.text());
  } catch (e) {
    throw new Error(i18n.t('packs.badFile', { message: (e as Error).message }));
  }
  if (!parsed || typeof parsed !== 'object' || !parsed.manifest || !Array.isArray(parsed.documents)) throw new Error(i18n.t('packs.notBundle'));
  return parsed as Bundle;
}

/** Offer JSON as a file download (a Blob behind a temporary link). */
export function downloadJson(fileName: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const conflictId = (c: Conflict) => `${c.document}#${c.path}`;

/** A value for the side-by-side view: JSON, or "(none)". */
export const showValue = (v: unknown) => (v === undefined ? i18n.t('packs.absent') : typeof v === 'string' ? v : JSON.stringify(v, null, 2));
