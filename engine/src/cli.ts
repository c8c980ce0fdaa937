/**
 * The `formwork` command (API.md): serve, pack install, backup, restore, user add.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createEngine, type Engine } from './app.js';
import { createHttpApp, REPO_ROOT } from './http/server.js';
import { installPack, readPackFolder, readPack, writePackFolder } from './packs/install.js';
import { backupDatabase, restoreDatabase } from './store/backup.js';
import { verifyBackup, type VerifyResult } from './store/backup-verify.js';
import { BackupScheduler, backupConfigFrom, describeSchedule, readManifest, summarizeBackup } from './store/backup-schedule.js';
import { createLogger } from './http/logger.js';
import { openDb, safeUrl } from './store/connection.js';
import { isAppError } from './errors.js';
import { securityLogFor, CLI_ACTOR } from './auth/security-log.js';
import { progressBar } from './cli-progress.js';
import { scheduleFileCleanup } from './files/index.js';

const USAGE = `Usage: formwork <command>

  serve [--port N] [--host H] [--db URL] [--demo]
        [--backup-dir DIR [--backup-every 24h | --backup-at HH:MM] [--backup-keep-daily N] [--backup-keep-weekly M] [--backup-tz ZONE]]
  demo [--db URL] [--seed S] [--scale N] [--today YYYY-MM-DD]
  pack install PATH | pack plan PATH | pack upgrade PATH [--resolve DOC#PATH=local|pack …] [--confirm-data-loss]
  pack export --modules a,b --out FILE|DIR [--name N] [--version V] | pack uninstall NAME [--confirm-data-loss] | pack list
  backup --out FILE [--verify] [--db URL]
  backup --dir DIR [--keep-daily N] [--keep-weekly M] [--tz ZONE] [--db URL]   (verified, into the managed folder)
  backup list --dir DIR | backup verify FILE [--db URL]
  restore FILE [--db URL]
  user add NAME --role ROLE [--password P] [--db URL]

--db / DATABASE_URL: sqlite:PATH (default sqlite:./data/formwork.db) or postgres://…
demo: the dealership pack (installed if missing) and a demo dealer, deterministic from --seed;
  --scale N orders (default 400, about a year of one store; up to 1000000), dates up to --today.
  Only into a database without dealership records. Progress on stderr.`;

function dbUrl(flag?: string): string {
  return flag || process.env.DATABASE_URL || 'sqlite:./data/formwork.db';
}

async function serve(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, demo: { type: 'boolean' },
      'backup-dir': { type: 'string' }, 'backup-every': { type: 'string' }, 'backup-at': { type: 'string' },
      'backup-keep-daily': { type: 'string' }, 'backup-keep-weekly': { type: 'string' }, 'backup-tz': { type: 'string' },
    },
  });
  // Scheduled backups (store/backup-schedule.ts): flags, else FORMWORK_BACKUP_* variables.
  const backupConfig = backupConfigFrom({
    dir: values['backup-dir'], every: values['backup-every'], at: values['backup-at'],
    keepDaily: values['backup-keep-daily'], keepWeekly: values['backup-keep-weekly'], timezone: values['backup-tz'],
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${values.port ?? process.env.PORT}`);
  const engine = await createEngine({ dbUrl: dbUrl(values.db), backup: backupConfig });
  const admin = await engine.users.ensureAdmin(process.env.FORMWORK_ADMIN_USER || 'admin', process.env.FORMWORK_ADMIN_PASSWORD);
  if (admin.created) {
    const u = await engine.db.knex('fw_users').where({ username: process.env.FORMWORK_ADMIN_USER || 'admin' }).first();
    await securityLogFor(engine).record('user_created', { actor: CLI_ACTOR, target: `user:${u?.id}`, detail: { username: u?.username, roles: ['admin'], firstStart: true } });
  }
  if (admin.created && admin.password) {
    process.stdout.write(`Created administrator '${process.env.FORMWORK_ADMIN_USER || 'admin'}' with password: ${admin.password}\n(shown once; set FORMWORK_ADMIN_PASSWORD to choose it)\n`);
  }
  if (values.demo) await loadDemo(engine);
  engine.workflow.start();
  // Uploads never attached, files of deleted records: removed now and every hour (files/cleanup.ts).
  await engine.files.cleanup();
  await scheduleFileCleanup(engine.workflow.jobs, engine.db.knex);
  await engine.backups.start();
  if (backupConfig) process.stdout.write(`Backups: ${describeSchedule(backupConfig)}\n`);
  const app = createHttpApp(engine);
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  process.stdout.write(`Formwork listening on http://${shownHost}:${addr.port}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections?.();
    await engine.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The dealership pack, installed if it is not. */
async function ensureDealershipPack(engine: Engine): Promise<string> {
  const dir = path.join(REPO_ROOT, 'templates', 'dealership');
  const installed = await engine.db.knex('fw_packs').where({ name: 'dealership' }).first();
  if (!installed) {
    const packDef = readPackFolder(dir);
    securityLogFor(engine);
    const r = await installPack(engine.db, engine.docs, packDef);
    await securityLogFor(engine).record('pack_installed', { actor: CLI_ACTOR, target: `pack:${packDef.manifest.name}`, detail: { name: packDef.manifest.name, version: packDef.manifest.version, installed: r.installed.length, unchanged: r.unchanged.length } });
    process.stdout.write(`Installed the dealership pack (${r.installed.length} documents)\n`);
  }
  return dir;
}

/** The demo data generator of the pack (templates/dealership/demo/generator.js), if present. */
async function demoGenerator(dir: string): Promise<any | null> {
  const file = path.join(dir, 'demo', 'generator.js');
  return fs.existsSync(file) ? import(file) : null;
}

/** Generate demo data with a progress bar on stderr and a summary on stdout. */
async function runDemoGenerator(engine: Engine, gen: any, opts: { seed?: number; scale?: number; today?: string }) {
  const bar = progressBar(process.stderr);
  let result;
  try {
    result = await gen.generateDemo(engine, { ...opts, onProgress: bar.update });
  } finally {
    bar.end();
  }
  const c = result.counts as Record<string, number>;
  process.stdout.write(
    `Loaded demo data: ${result.records} records (${c.customer ?? 0} customers, ${c.vehicle_order ?? 0} orders, ${c.payment ?? 0} payments, ` +
    `${c.vehicle ?? 0} vehicles, ${c.repair_order ?? 0} repair orders) in ${result.seconds.toFixed(1)}s, ${Math.round(result.rate)} records/s\n` +
    `Demo staff (password '${result.password}'): ${result.users.map((u: any) => `${u.username} (${u.role})`).join(', ')}\n`,
  );
}

/** --demo: the dealership pack if it is not installed, and its demo data if there are no records. */
async function loadDemo(engine: Engine) {
  const dir = await ensureDealershipPack(engine);
  const gen = await demoGenerator(dir);
  if (gen) {
    if (!(await gen.hasRecords(engine))) await runDemoGenerator(engine, gen, {});
    return;
  }
  const demo = path.join(dir, 'demo', 'index.js');
  if (fs.existsSync(demo)) {
    const mod = await import(demo);
    const n = await mod.loadDemoData?.(engine);
    if (n) process.stdout.write(`Loaded demo data (${n} records)\n`);
  }
}

/** `formwork demo`: a demo dealer (or a large one for benchmarks) into a database without dealership records. */
async function demo(args: string[]) {
  const { values } = parseArgs({ args, options: { db: { type: 'string' }, seed: { type: 'string' }, scale: { type: 'string' }, today: { type: 'string' } } });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  const scale = values.scale === undefined ? undefined : Number(values.scale);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new Error(`invalid --seed: ${values.seed} (an integer 0…4294967295)`);
  if (scale !== undefined && !(Number.isInteger(scale) && scale >= 1 && scale <= 1_000_000)) throw new Error(`invalid --scale: ${values.scale} (orders, 1…1000000)`);
  if (values.today !== undefined && !(/^\d{4}-\d{2}-\d{2}$/.test(values.today) && !Number.isNaN(Date.parse(values.today)))) throw new Error(`invalid --today: ${values.today} (YYYY-MM-DD)`);
  const engine = await createEngine({ dbUrl: dbUrl(values.db) });
  try {
    const dir = await ensureDealershipPack(engine);
    const gen = await demoGenerator(dir);
    if (!gen) throw new Error('the dealership pack has no demo generator');
    if (await gen.hasRecords(engine)) throw new Error('the database already holds dealership records; demo data loads only into a database without them (use another --db)');
    await runDemoGenerator(engine, gen, { seed, scale, today: values.today });
  } finally {
    await engine.close();
  }
}

async function pack(args: string[]) {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      db: { type: 'string' }, modules: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' },
      resolve: { type: 'string', multiple: true }, 'confirm-data-loss': { type: 'boolean' },
    },
  });
  const target = positionals[0];
  const usage = 'usage: formwork pack install|plan|upgrade PATH | pack export --modules a,b --out FILE | pack uninstall NAME [--confirm-data-loss] | pack list';
  if (!sub || (['install', 'plan', 'upgrade', 'uninstall'].includes(sub) && !target)) throw new Error(usage);
  const engine = await createEngine({ dbUrl: dbUrl(values.db) });
  const out = (line: string) => process.stdout.write(line + '\n');
  securityLogFor(engine); // its listener records every publish the pack makes
  try {
    switch (sub) {
      case 'list':
        for (const p of await engine.packs.list()) out(`${p.name}@${p.version} installed ${p.installedAt}`);
        return;
      case 'plan': {
        const plan = await engine.packs.plan(readPack(path.resolve(target!)));
        out(`plan ${plan.pack.name}@${plan.pack.version}${plan.pack.installed ? ` (installed: ${plan.pack.installed})` : ''} token ${plan.token}`);
        for (const d of plan.documents) out(`  ${d.action.padEnd(9)} ${d.kind}/${d.key}`);
        for (const t of plan.tables) out(`  table ${t.table}: ${t.create ? 'create' : `${t.steps.length} step(s)`}`);
        for (const d of plan.dependencies) out(`  needs ${d.name} ${d.range}: ${d.ok ? `ok (${d.installed})` : 'missing'}`);
        return;
      }
      case 'install': {
        const bundle = readPack(path.resolve(target!));
        const r = await engine.packs.install(bundle);
        if (r.conflicts.length) {
          for (const c of r.conflicts) out(`conflict ${c.document}${c.path}: a local document has this key`);
          process.exitCode = 3;
          return;
        }
        await securityLogFor(engine).record('pack_installed', { actor: CLI_ACTOR, target: `pack:${bundle.manifest.name}`, detail: { name: bundle.manifest.name, version: bundle.manifest.version, installed: r.installed.length, unchanged: r.unchanged.length } });
        for (const d of r.installed) out(`published ${d.kind}/${d.key} revision ${d.revision}`);
        for (const d of r.unchanged) out(`unchanged ${d.kind}/${d.key}`);
        return;
      }
      case 'upgrade': {
        // --resolve 'forms/customer#/fields[fld_phone]/label/zh-CN=local' (or =pack), once per conflict
        const resolutions = (values.resolve ?? []).map((x) => {
          const m = /^(.+?)#(.*)=(local|pack)$/.exec(x);
          if (!m) throw new Error(`--resolve wants DOCUMENT#PATH=local|pack, not '${x}'`);
          return { document: m[1]!, path: m[2]!, choice: m[3] as 'local' | 'pack' };
        });
        const bundle = readPack(path.resolve(target!));
        const r = await engine.packs.upgrade(bundle, { resolutions, confirmDataLoss: !!values['confirm-data-loss'] });
        for (const c of r.conflicts) out(`conflict ${c.document}#${c.path}: local ${JSON.stringify(c.ours)} / pack ${JSON.stringify(c.theirs)}`);
        if (!r.applied) {
          out(`Not upgraded: ${r.conflicts.length} conflict(s); choose each with --resolve 'DOCUMENT#PATH=local|pack'`);
          process.exitCode = 3;
          return;
        }
        await securityLogFor(engine).record('pack_upgraded', { actor: CLI_ACTOR, target: `pack:${bundle.manifest.name}`, detail: { name: bundle.manifest.name, from: r.from, to: r.to, merged: r.merged.length } });
        for (const m of r.merged) out(`merged ${m.document}${m.keptLocal ? ` (kept ${m.keptLocal} local change(s))` : ''}`);
        for (const d of r.added) out(`added ${d}`);
        for (const d of r.removed) out(`no longer in the pack (kept as local): ${d}`);
        out(`Upgraded ${bundle.manifest.name} ${r.from} → ${r.to}`);
        return;
      }
      case 'uninstall': {
        const r = await engine.packs.uninstall(target!, { confirmDataLoss: !!values['confirm-data-loss'] });
        await securityLogFor(engine).record('pack_uninstalled', { actor: CLI_ACTOR, target: `pack:${target}`, detail: { name: target, removed: r.removed.length, records: r.records } });
        out(`Uninstalled ${target}: ${r.removed.length} document(s), ${r.records} record(s) removed`);
        return;
      }
      case 'export': {
        if (!values.modules || !values.out) throw new Error('usage: formwork pack export --modules a,b --out FILE [--name N] [--version V]');
        const bundle = await engine.packs.export({ modules: values.modules.split(',').map((m) => m.trim()).filter(Boolean), name: values.name, version: values.version });
        const file = path.resolve(values.out);
        if (file.endsWith('.json')) fs.writeFileSync(file, JSON.stringify(bundle, null, 2) + '\n');
        else writePackFolder(file, bundle);
        out(`Exported ${bundle.documents.length} document(s) of ${bundle.manifest.modules!.join(', ')} as ${bundle.manifest.name}@${bundle.manifest.version} to ${values.out}`);
        return;
      }
      default:
        throw new Error(usage);
    }
  } finally {
    await engine.close();
  }
}

async function user(args: string[]) {
  const [sub, name, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { role: { type: 'string', multiple: true }, password: { type: 'string' }, db: { type: 'string' } } });
  if (sub !== 'add' || !name || !values.role?.length) throw new Error('usage: formwork user add NAME --role ROLE [--password P]');
  const engine = await createEngine({ dbUrl: dbUrl(values.db) });
  try {
    const password = values.password ?? (await import('./auth/passwords.js')).randomPassword();
    const u = await engine.users.create({ username: name, password, roles: values.role.flatMap((r) => r.split(',')) });
    await securityLogFor(engine).record('user_created', { actor: CLI_ACTOR, target: `user:${u.id}`, detail: { username: u.username, roles: u.roles } });
    process.stdout.write(`Created user ${u.username} (id ${u.id}, roles ${u.roles.join(',')})${values.password ? '' : ` with password: ${password}`}\n`);
  } finally {
    await engine.close();
  }
}

/** Prints a verification's result; false when it failed. */
function reportVerification(v: VerifyResult): boolean {
  const out = (line: string) => process.stdout.write(line + '\n');
  if (v.ok) {
    out(`Verified: restored into a scratch ${v.dialect === 'pg' ? 'database' : 'file'}, ${v.tables} tables, ${v.rows} rows (${v.ms} ms)`);
    for (const [t, n] of Object.entries(v.counts)) out(`  ${t} ${n}`);
    return true;
  }
  process.stderr.write(`VERIFICATION FAILED: ${v.error ?? ''}${v.missing.length ? ` missing tables: ${v.missing.join(', ')}` : ''}${v.mismatched.length ? ` row counts differ: ${v.mismatched.map((x) => `${x.table} ${x.expected}→${x.actual}`).join(', ')}` : ''}\n`);
  return false;
}

async function backup(args: string[]) {
  const [sub] = args;
  if (sub === 'list') {
    const { values } = parseArgs({ args: args.slice(1), options: { dir: { type: 'string' } } });
    if (!values.dir) throw new Error('usage: formwork backup list --dir DIR');
    const dir = path.resolve(values.dir);
    const m = readManifest(dir);
    if (!m.backups.length) process.stdout.write(`No backups recorded in ${dir}\n`);
    for (const e of [...m.backups].reverse().map((x) => summarizeBackup(dir, x))) {
      process.stdout.write(
        `${e.file}  ${e.takenAt}  ${e.status}${e.tables !== undefined ? `  ${e.tables} tables ${e.rows} rows` : ''}${e.bytes !== undefined ? `  ${e.bytes} bytes` : ''}${e.exists ? '' : '  (file missing)'}${e.error ? `  error: ${e.error}` : ''}\n`,
      );
    }
    return;
  }
  if (sub === 'verify') {
    const { values, positionals } = parseArgs({ args: args.slice(1), allowPositionals: true, options: { db: { type: 'string' }, schema: { type: 'string' } } });
    if (!positionals[0]) throw new Error('usage: formwork backup verify FILE [--db URL]');
    const url = dbUrl(values.db);
    const v = await verifyBackup(path.resolve(positionals[0]), { url: url.startsWith('postgres') ? url : undefined, schema: values.schema });
    if (!reportVerification(v)) process.exitCode = 1;
    return;
  }
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' }, db: { type: 'string' }, verify: { type: 'boolean' },
      dir: { type: 'string' }, 'keep-daily': { type: 'string' }, 'keep-weekly': { type: 'string' }, tz: { type: 'string' },
    },
  });
  const url = dbUrl(values.db);
  if (values.dir) {
    // One backup into the managed folder, as a scheduled one: verified, in the manifest, retention applied.
    const cfg = backupConfigFrom({ dir: values.dir, keepDaily: values['keep-daily'], keepWeekly: values['keep-weekly'], timezone: values.tz }, {})!;
    const db = await openDb(url);
    try {
      const scheduler = new BackupScheduler({ db, logger: createLogger('off') });
      const e = await scheduler.takeBackup(cfg);
      process.stdout.write(`Backed up ${safeUrl(url)} to ${path.join(cfg.dir, e.file)}${e.bytes !== undefined ? ` (${e.bytes} bytes)` : ''}: ${e.status}${e.verify ? `, ${e.verify.tables} tables, ${e.verify.rows} rows` : ''}\n`);
      if (e.status !== 'verified') {
        process.stderr.write(`VERIFICATION FAILED: ${e.error ?? ''}\n`);
        process.exitCode = 1;
      }
    } finally {
      await db.close();
    }
    return;
  }
  if (!values.out) throw new Error('usage: formwork backup --out FILE [--verify] | backup --dir DIR | backup list --dir DIR | backup verify FILE');
  const r = await backupDatabase(url, path.resolve(values.out));
  process.stdout.write(`Backed up ${safeUrl(url)} to ${r.file} (${r.bytes} bytes)\n`);
  if (values.verify) {
    const v = await verifyBackup(r.file, { url: r.dialect === 'pg' ? url : undefined, schema: r.schema, expected: r.counts });
    if (!reportVerification(v)) process.exitCode = 1;
  }
}

async function restore(args: string[]) {
  const { values, positionals } = parseArgs({ args, options: { db: { type: 'string' } }, allowPositionals: true });
  if (!positionals[0]) throw new Error('usage: formwork restore FILE');
  const r = await restoreDatabase(dbUrl(values.db), path.resolve(positionals[0]));
  process.stdout.write(`Restored ${safeUrl(dbUrl(values.db))} from ${positionals[0]}${r.previous ? ` (the previous database was kept as ${r.previous})` : ''}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'serve': return serve(args);
    case 'pack': return pack(args);
    case 'demo': return demo(args);
    case 'user': return user(args);
    case 'backup': return backup(args);
    case 'restore': return restore(args);
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new Error(`unknown command '${cmd}'\n\n${USAGE}`);
  }
}

export function runCli(argv: string[]): void {
  main(argv).catch((e) => {
    if (isAppError(e)) {
      process.stderr.write(`formwork: ${e.text.en}${e.fields ? '\n' + JSON.stringify(e.toBody('en').error.fields, null, 2) : ''}${e.details ? '\n' + JSON.stringify(e.details, null, 2) : ''}\n`);
    } else {
      process.stderr.write(`formwork: ${(e as Error)?.message ?? e}\n`);
    }
    process.exit(1);
  });
}
