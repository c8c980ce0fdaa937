/**
 * What a print template (FormDef.prints[].template) may contain, checked when the form is saved
 * (metaschema.ts) and again when the engine compiles it (render/print.ts):
 *
 *   - it parses as handlebars;
 *   - it calls only the built-in block helpers (`if`, `unless`, `each`, `with`, `lookup`) and the
 *     fixed print helper set `PRINT_HELPERS` (render/print.ts implements and documents them);
 *     `log` is not among them;
 *   - no partials (`{{> x}}`, `{{#> x}}`), no decorators or inline partials (`{{* x}}`,
 *     `{{#*inline}}`): nothing is read from disk or registered at run time;
 *   - no unescaped output (`{{{x}}}`, `{{& x}}`): record values are typed by users, and the page is
 *     served from the API's origin;
 *   - no path segment or `lookup` key naming `__proto__`, `constructor`, `prototype` or the legacy
 *     accessor methods (the runtime also denies prototype access; this says so at save time);
 *   - a literal format given to `date` / `datetime` is one of `DATE_FORMATS` / `DATETIME_FORMATS`.
 *
 * Isomorphic (handlebars' parser and compiler run in the browser too).
 */
import Handlebars from 'handlebars';
import { msg, type Msg } from '../errors.js';

/** The helpers a print template may call besides the built-in block helpers. */
export const PRINT_HELPERS = [
  'yuan', 'number', 'date', 'datetime', 'upper_amount', 'option', 'eq', 'add', 'sub', 'mul', 'sum', 'index1', 'default',
] as const;
export type PrintHelper = (typeof PRINT_HELPERS)[number];

/** The built-in handlebars helpers a print template may use. */
export const BUILTIN_PRINT_HELPERS = ['if', 'unless', 'each', 'with', 'lookup'] as const;

/** How many arguments each helper takes: [min, max]. */
const ARITY: Record<string, [number, number]> = {
  if: [1, 1], unless: [1, 1], each: [1, 1], with: [1, 1], lookup: [2, 2],
  yuan: [1, 1], number: [1, 2], date: [1, 2], datetime: [1, 2], upper_amount: [1, 1], option: [2, 2],
  eq: [2, 2], add: [2, 2], sub: [2, 2], mul: [2, 2], sum: [2, 2], index1: [1, 1], default: [2, 2],
};

/** Formats `{{date v FORMAT}}` accepts (the first is the default). */
export const DATE_FORMATS = ['YYYY-MM-DD', 'YYYY/MM/DD', 'YYYY年MM月DD日', 'YYYY年M月D日'] as const;
/** Formats `{{datetime v FORMAT}}` accepts (the first is the default). */
export const DATETIME_FORMATS = ['YYYY-MM-DD HH:mm', 'YYYY-MM-DD HH:mm:ss', 'YYYY年M月D日 HH:mm'] as const;

/** Longest template, in characters. */
export const PRINT_TEMPLATE_MAX_LENGTH = 200_000;
/** Most print templates on one form. */
export const PRINT_TEMPLATES_MAX = 50;

/** Names no path segment or lookup key may use. */
export const FORBIDDEN_TEMPLATE_NAMES = new Set([
  '__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);

/** The compile options both the save-time check and the renderer use. */
export function printCompileOptions(): CompileOptions {
  const knownHelpers: Record<string, boolean> = { log: false, helperMissing: false };
  for (const h of [...PRINT_HELPERS, ...BUILTIN_PRINT_HELPERS]) knownHelpers[h] = true;
  return { knownHelpers, knownHelpersOnly: true, strict: false, noEscape: false, compat: false, preventIndent: true };
}

interface AstNode {
  type?: string;
  loc?: { start?: { line?: number; column?: number } };
  [k: string]: unknown;
}

const where = (n: AstNode) => {
  const line = n.loc?.start?.line;
  return line ? { zh: `（第 ${line} 行）`, en: ` (line ${line})` } : { zh: '', en: '' };
};

/** The first problem of the parsed template, or null. */
function astProblem(ast: unknown): Msg | null {
  const stack: unknown[] = [ast];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const n = v as AstNode;
    const w = where(n);
    switch (n.type) {
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return msg(`打印模板不能使用局部模板（{{> …}}）${w.zh}`, `partials ({{> …}}) are not allowed in a print template${w.en}`);
      case 'Decorator':
      case 'DecoratorBlock':
        return msg(`打印模板不能使用装饰器或内联模板（{{* …}}）${w.zh}`, `decorators and inline partials ({{* …}}) are not allowed in a print template${w.en}`);
      case 'MustacheStatement':
        if (n.escaped === false) {
          return msg(
            `打印模板不能输出未转义的内容（{{{…}}} 或 {{& …}}）${w.zh}`,
            `unescaped output ({{{…}}} or {{& …}}) is not allowed in a print template${w.en}`,
          );
        }
        break;
      case 'PathExpression': {
        const parts = Array.isArray(n.parts) ? (n.parts as unknown[]) : [];
        const bad = parts.find((p) => typeof p === 'string' && FORBIDDEN_TEMPLATE_NAMES.has(p));
        if (bad) return msg(`不允许访问 '${bad}'${w.zh}`, `'${bad}' may not be accessed${w.en}`);
        break;
      }
      default:
        break;
    }
    if (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') {
      const path = n.path as AstNode | undefined;
      const name = path?.type === 'PathExpression' ? (path.original as string) : undefined;
      const params = Array.isArray(n.params) ? (n.params as AstNode[]) : [];
      const simple = path?.type === 'PathExpression' && !path.data && Array.isArray(path.parts) && path.parts.length === 1 && !/^(\.|this\b)/.test(String(name));
      const hash = n.hash as AstNode | undefined;
      const isCall = params.length > 0 || (Array.isArray(hash?.pairs) && hash.pairs.length > 0) || n.type === 'SubExpression';
      if (simple && isCall && !Object.prototype.hasOwnProperty.call(ARITY, String(name))) {
        return msg(`未知的辅助函数 '${name}'${w.zh}`, `unknown helper ${name}${w.en}`);
      }
      const arity = simple && name && Object.prototype.hasOwnProperty.call(ARITY, name) ? ARITY[name] : undefined;
      if (arity && (params.length < arity[0] || params.length > arity[1])) {
        const count = arity[0] === arity[1] ? `${arity[0]}` : `${arity[0]}–${arity[1]}`;
        const field = params.length === 0 && n.type === 'MustacheStatement'
          ? { zh: `；要输出名为 ${name} 的字段请写 {{this.${name}}}`, en: `; for a field named ${name} write {{this.${name}}}` }
          : { zh: '', en: '' };
        return msg(`${name} 需要 ${count} 个参数${w.zh}${field.zh}`, `${name} takes ${count} argument(s)${w.en}${field.en}`);
      }
      if (name === 'lookup') {
        const key = params[1];
        if (key?.type === 'StringLiteral' && FORBIDDEN_TEMPLATE_NAMES.has(String(key.value))) {
          return msg(`不允许访问 '${String(key.value)}'${w.zh}`, `'${String(key.value)}' may not be accessed${w.en}`);
        }
      }
      if (name === 'date' || name === 'datetime') {
        const fmt = params[1];
        const allowed: readonly string[] = name === 'date' ? DATE_FORMATS : DATETIME_FORMATS;
        if (fmt?.type === 'StringLiteral' && !allowed.includes(String(fmt.value))) {
          return msg(
            `${name} 的格式 '${String(fmt.value)}' 不可用（可选：${allowed.join('、')}）${w.zh}`,
            `${name} format '${String(fmt.value)}' is not one of: ${allowed.join(', ')}${w.en}`,
          );
        }
      }
    }
    for (const [k, child] of Object.entries(n)) if (k !== 'loc' && child !== null && typeof child === 'object') stack.push(child);
  }
  return null;
}

/** The first line(s) of a handlebars error, without the source excerpt's caret art. */
function handlebarsMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').filter((l) => l.trim() && !/^\s*-*\^\s*$/.test(l)).slice(0, 4).join(' ').slice(0, 500);
}

/**
 * The reason a print template cannot be used, or null when it compiles under the print rules
 * (see the file comment). The message names handlebars' own parse or compile error.
 */
export function printTemplateProblem(source: string): Msg | null {
  if (source.length > PRINT_TEMPLATE_MAX_LENGTH) {
    return msg(`打印模板不能超过 ${PRINT_TEMPLATE_MAX_LENGTH} 个字符`, `a print template must be at most ${PRINT_TEMPLATE_MAX_LENGTH} characters`);
  }
  let ast: unknown;
  try {
    ast = Handlebars.parse(source);
  } catch (e) {
    const m = handlebarsMessage(e);
    return msg(`模板语法错误：${m}`, `the template does not parse: ${m}`);
  }
  const problem = astProblem(ast);
  if (problem) return problem;
  try {
    // handlebars' first compiler pass (the opcodes: where knownHelpersOnly and the other compile
    // errors arise), without generating the JavaScript, which is slow on large templates and
    // happens once per revision when the template is first printed.
    const Compiler = (Handlebars as unknown as { Compiler: new () => { compile(ast: unknown, options: object): unknown } }).Compiler;
    new Compiler().compile(ast, { ...printCompileOptions(), data: true });
  } catch (e) {
    const m = handlebarsMessage(e);
    return msg(`模板无法编译：${m}`, `the template does not compile: ${m}`);
  }
  return null;
}
