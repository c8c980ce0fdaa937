/**
 * Handlebars for notification text (and, later, print templates): an isolated instance with a
 * fixed helper set, no prototype access, no partials, HTML-escaped by default. Templates are
 * compiled once and cached.
 */
import Handlebars from 'handlebars';

const hb = Handlebars.create();

hb.registerHelper('yuan', (v: unknown) => {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return '';
  return '¥' + n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
});
hb.registerHelper('date', (v: unknown) => (typeof v === 'string' ? v.slice(0, 10) : ''));
hb.registerHelper('percent', (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : ''));

const cache = new Map<string, HandlebarsTemplateDelegate>();

export function renderText(template: string, data: Record<string, unknown>): string {
  let t = cache.get(template);
  if (!t) {
    t = hb.compile(template, { knownHelpersOnly: false, strict: false, noEscape: true });
    if (cache.size > 2000) cache.clear();
    cache.set(template, t);
  }
  return t(data, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false, partials: {}, helpers: {} });
}
