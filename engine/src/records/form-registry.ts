/**
 * The published forms, compiled once per revision and kept in memory.
 *
 * Another engine process may publish: every `get` at most once a second compares the
 * database's metadata version with ours and reloads when it moved.
 */
import type { DocumentService } from '../documents/document-service.js';
import type { FormDef } from '../meta/types.js';
import { compileForm, type CompiledForm } from '../store/compiled-form.js';
import { notFound } from '../errors.js';

export interface RollupDependent {
  /** The form that holds the rollup field. */
  parent: CompiledForm;
  /** The rollup field on the parent. */
  fieldKey: string;
  /** The relation field on the child form pointing at the parent. */
  via: string;
}

export class FormRegistry {
  private forms = new Map<string, CompiledForm>();
  private version = -1;
  private checkedAt = 0;
  private loading: Promise<void> | null = null;
  /** Minimum milliseconds between metadata-version checks. */
  staleAfterMs = 1000;

  constructor(private readonly docs: DocumentService) {
    docs.onPublish((kind, key, doc, revision) => {
      if (kind === 'forms') this.forms.set(key, compileForm(doc as FormDef, revision));
    });
  }

  async load(): Promise<void> {
    const version = await this.docs.metaVersion();
    const all = await this.docs.allPublished('forms');
    const next = new Map<string, CompiledForm>();
    for (const { doc, revision } of all) {
      const cur = this.forms.get(doc.key);
      next.set(doc.key, cur && cur.revision === revision ? cur : compileForm(doc, revision));
    }
    this.forms = next;
    this.version = version;
    this.checkedAt = Date.now();
  }

  private async refresh(): Promise<void> {
    if (Date.now() - this.checkedAt < this.staleAfterMs) return;
    if (!this.loading) {
      this.loading = (async () => {
        try {
          this.checkedAt = Date.now();
          const v = await this.docs.metaVersion();
          if (v !== this.version) await this.load();
        } finally {
          this.loading = null;
        }
      })();
    }
    await this.loading;
  }

  async get(key: string): Promise<CompiledForm> {
    await this.refresh();
    const f = this.forms.get(key);
    if (!f) throw notFound('表单不存在', `No published form '${key}'`);
    return f;
  }

  async all(): Promise<CompiledForm[]> {
    await this.refresh();
    return [...this.forms.values()];
  }

  /** Without a freshness check (inside a transaction, after `get` has run). */
  peek(key: string): CompiledForm | undefined {
    return this.forms.get(key);
  }

  /** Rollups on other forms that aggregate records of `childForm`. */
  rollupDependents(childForm: string): RollupDependent[] {
    const out: RollupDependent[] = [];
    for (const parent of this.forms.values()) {
      for (const f of parent.rollups) {
        if (f.rollup!.form === childForm) out.push({ parent, fieldKey: f.key, via: f.rollup!.via });
      }
    }
    return out;
  }
}
