/**
 * Installing a template pack from code (the CLI's `--demo`, tests): the PackService's install
 * with this engine's version. The pack format lives in bundle.ts, the rules in pack-service.ts.
 */
import type { DocumentService } from '../documents/document-service.js';
import type { Db } from '../store/connection.js';
import { ENGINE_VERSION } from '../version.js';
import { PackService, type InstallResult } from './pack-service.js';
import type { PackBundle } from './bundle.js';

export { readPackFolder, readPack, writePackFolder, type PackBundle, type PackManifest, type PackDocument } from './bundle.js';
export type { InstallResult } from './pack-service.js';

export async function installPack(db: Db, docs: DocumentService, pack: PackBundle): Promise<InstallResult> {
  const result = await new PackService({ db, docs, engineVersion: ENGINE_VERSION }).install(pack);
  if (result.conflicts.length) {
    const { AppError, msg } = await import('../errors.js');
    throw new AppError('conflict', msg('模板包与本地文档冲突', 'The pack conflicts with local documents'), { details: { conflicts: result.conflicts.map((c) => ({ document: c.document, path: c.path })) } });
  }
  return result;
}
