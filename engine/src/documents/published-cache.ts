/**
 * An in-memory cache of the published documents of one kind, each compiled once per revision.
 *
 * Another engine process may publish: `fresh()` at most once per `staleAfterMs` compares the
 * database's metadata version with the one loaded and reloads when it moved. A publish in this
 * process updates the cache at once.
 */
import type { DocumentService } from './document-service.js';
import type { MetaKind } from '../meta/types.js';

export class PublishedCache<T> {
  private items = new Map<string, { revision: number; value: T }>();
  private version = -1;
  private checkedAt = 0;
  private loading: Promise<void> | null = null;
  /** Minimum milliseconds between metadata-version checks. */
  staleAfterMs = 1000;
  /** Bumped whenever the contents change (for caches derived from this one). */
  generation = 0;

  constructor(
    private readonly docs: DocumentService,
    private readonly kind: MetaKind,
    private readonly compile: (doc: any, revision: number) => T,
  ) {
    docs.onPublish((kind, key, doc, revision) => {
      if (kind !== this.kind) return;
      this.items.set(key, { revision, value: this.compile(doc, revision) });
      this.generation++;
    });
    docs.onRemove((kind, key) => {
      if (kind !== this.kind || !this.items.delete(key)) return;
      this.generation++;
    });
  }

  async load(): Promise<void> {
    const version = await this.docs.metaVersion();
    const all = await this.docs.allPublished(this.kind);
    const next = new Map<string, { revision: number; value: T }>();
    for (const { doc, revision } of all) {
      const cur = this.items.get(doc.key);
      next.set(doc.key, cur && cur.revision === revision ? cur : { revision, value: this.compile(doc, revision) });
    }
    this.items = next;
    this.version = version;
    this.checkedAt = Date.now();
    this.generation++;
  }

  /**
   * Reload if another process published since the last check. `force`: check now whatever the
   * time since the last check (a key that is missing may have just been published elsewhere).
   */
  async fresh(force = false): Promise<void> {
    if (!force && Date.now() - this.checkedAt < this.staleAfterMs) return;
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

  /** The metadata version the cache was last loaded at (-1: never). */
  get loadedVersion(): number {
    return this.version;
  }

  /** Without a freshness check. */
  peek(key: string): T | undefined {
    return this.items.get(key)?.value;
  }

  values(): T[] {
    return [...this.items.values()].map((e) => e.value);
  }
}
