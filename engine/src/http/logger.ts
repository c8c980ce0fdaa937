/**
 * JSON-lines logger. Never pass secrets (passwords, tokens, Authorization headers) to it;
 * `redact` strips the usual suspects from objects defensively.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'off';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };
const SECRET_KEYS = /pass(word)?|token|secret|authorization|cookie|hash/i;

export interface Logger {
  debug(m: string, f?: Record<string, unknown>): void;
  info(m: string, f?: Record<string, unknown>): void;
  warn(m: string, f?: Record<string, unknown>): void;
  error(m: string, f?: Record<string, unknown>): void;
}

export function redact(v: unknown, depth = 0): unknown {
  if (depth > 5 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(x, depth + 1);
  return out;
}

export function createLogger(level: Level = (process.env.FORMWORK_LOG as Level) || 'info', write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const at = ORDER[level] ?? ORDER.info;
  const log = (lvl: Level) => (m: string, f?: Record<string, unknown>) => {
    if (ORDER[lvl] < at) return;
    write(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg: m, ...(f ? (redact(f) as object) : {}) }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
