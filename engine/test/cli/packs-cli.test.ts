/**
 * `formwork pack …` on SQLite files (the consultant's flow): install the dealership pack, edit a
 * form locally, export the module as a folder, install that folder into another database, and
 * upgrade with a conflict that the command reports (exit 3) until it is resolved.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/process.js';
import { createEngine, type Engine } from '../../src/app.js';
import { readPackFolder, writePackFolder } from '../../src/packs/bundle.js';

describe('formwork pack (command line)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-pack-cli-'));
  const dbA = `sqlite:${path.join(dir, 'a.db')}`;
  const dbB = `sqlite:${path.join(dir, 'b.db')}`;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const withEngine = async <T,>(db: string, fn: (e: Engine) => Promise<T>): Promise<T> => {
    const e = await createEngine({ dbUrl: db, dataDir: dir });
    try {
      return await fn(e);
    } finally {
      await e.close();
    }
  };

  beforeAll(async () => {
    const r = await runCli(['pack', 'install', path.join(REPO, 'templates/dealership'), '--db', dbA]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('published forms/customer');
  }, 120_000);

  it('exports a module with a local edit as a folder that installs elsewhere', async () => {
    await withEngine(dbA, async (e) => {
      const doc = await e.docs.get('forms', 'follow_up');
      doc.fields.push({ key: 'mood', type: 'text', label: { 'zh-CN': '客户情绪', en: 'Mood' } });
      await e.docs.saveDraft('forms', 'follow_up', doc);
      await e.docs.publish('forms', 'follow_up');
    });
    // one module: the forms it relates to in other modules make the dealership pack a dependency
    const part = path.join(dir, 'part.json');
    const ex1 = await runCli(['pack', 'export', '--modules', 'customers', '--out', part, '--name', 'my_customers', '--version', '1.0.0', '--db', dbA]);
    expect(ex1.code, ex1.stderr).toBe(0);
    const partial = JSON.parse(fs.readFileSync(part, 'utf8'));
    expect(partial.manifest).toMatchObject({ name: 'my_customers', modules: ['customers'], dependencies: { dealership: expect.any(String) } });
    const early = await runCli(['pack', 'install', part, '--db', dbB]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/dealership/);
    // every module: a pack of the dealer's whole setup, local edits included, for the next dealer
    const out = path.join(dir, 'export');
    const modules = 'customers,sales,stock,finance,service';
    const ex = await runCli(['pack', 'export', '--modules', modules, '--out', out, '--name', 'my_dealer', '--version', '1.0.0', '--db', dbA]);
    expect(ex.code, ex.stderr).toBe(0);
    const bundle = readPackFolder(out);
    expect(bundle.manifest.dependencies).toBeUndefined();
    expect(bundle.documents.find((d) => d.key === 'follow_up')!.doc.fields.some((f: any) => f.key === 'mood')).toBe(true);
    const ok = await runCli(['pack', 'install', out, '--db', dbB]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const list = await runCli(['pack', 'list', '--db', dbB]);
    expect(list.stdout).toMatch(/my_dealer@1\.0\.0/);
    // and back out of B, it is the same pack
    const again = path.join(dir, 'again');
    expect((await runCli(['pack', 'export', '--modules', modules, '--out', again, '--name', 'my_dealer', '--version', '1.0.0', '--db', dbB])).code).toBe(0);
    expect(readPackFolder(again)).toEqual(bundle);
    await withEngine(dbB, async (e) => {
      expect((await e.docs.get('forms', 'follow_up')).fields.some((f: any) => f.key === 'mood')).toBe(true);
    });
  }, 180_000);

  it('reports an upgrade conflict with exit code 3, then applies it with --resolve', async () => {
    const next = readPackFolder(path.join(REPO, 'templates/dealership'));
    next.manifest.version = '5.0.0';
    next.manifest.dependencies = undefined;
    const fu = next.documents.find((d) => d.kind === 'forms' && d.key === 'follow_up')!.doc;
    fu.label = { 'zh-CN': '跟进记录（新版）', en: 'Follow-up (new)' };
    const folder = path.join(dir, 'v5');
    writePackFolder(folder, next);
    await withEngine(dbA, async (e) => {
      const doc = await e.docs.get('forms', 'follow_up');
      doc.label = { 'zh-CN': '跟进', en: 'Follow-up' };
      await e.docs.saveDraft('forms', 'follow_up', doc);
      await e.docs.publish('forms', 'follow_up');
    });
    const first = await runCli(['pack', 'upgrade', folder, '--db', dbA]);
    expect(first.code).toBe(3);
    expect(first.stdout).toContain('conflict forms/follow_up#/label/zh-CN');
    const second = await runCli(['pack', 'upgrade', folder, '--db', dbA, '--resolve', 'forms/follow_up#/label/zh-CN=local']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('Upgraded dealership');
    await withEngine(dbA, async (e) => {
      const doc = await e.docs.get('forms', 'follow_up');
      // zh-CN: both changed, local chosen; en: only the pack changed it
      expect(doc.label).toEqual({ 'zh-CN': '跟进', en: 'Follow-up (new)' });
      expect(doc.fields.some((f: any) => f.key === 'mood')).toBe(true);
    });
  }, 180_000);
});
