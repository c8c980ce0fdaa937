/**
 * The published forms, compiled once per revision (validators, columns, subtables) and kept in
 * memory; see PublishedCache for how other processes' publishes arrive.
 */
import type { DocumentService } from '../documents/document-service.js';
import { PublishedCache } from '../documents/published-cache.js';
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
  readonly cache: PublishedCache<CompiledForm>;

  constructor(docs: DocumentService) {
    this.cache = new PublishedCache(docs, 'forms', (doc, revision) => compileForm(doc as FormDef, revision));
  }

  load(): Promise<void> {
    return this.cache.load();
  }

  async get(key: string): Promise<CompiledForm> {
    await this.cache.fresh();
    // A form another process published a moment ago is found at once, not after the next check.
    const f = this.cache.peek(key) ?? (await this.cache.fresh(true), this.cache.peek(key));
    if (!f) throw notFound('表单不存在', `No published form '${key}'`);
    return f;
  }

  async all(): Promise<CompiledForm[]> {
    await this.cache.fresh();
    return this.cache.values();
  }

  /** Without a freshness check (inside a transaction, after `get` has run). */
  peek(key: string): CompiledForm | undefined {
    return this.cache.peek(key);
  }

  /** Rollups on other forms that aggregate records of `childForm`. */
  rollupDependents(childForm: string): RollupDependent[] {
    const out: RollupDependent[] = [];
    for (const parent of this.cache.values()) {
      for (const f of parent.rollups) {
        if (f.rollup!.form === childForm) out.push({ parent, fieldKey: f.key, via: f.rollup!.via });
      }
    }
    return out;
  }
}
