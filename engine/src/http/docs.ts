/**
 * The readable API documentation page: Swagger UI (from the `swagger-ui-dist` package, served
 * locally; no CDN) pointed at the OpenAPI document.
 *
 *   GET /api/docs             the HTML page (no inline script or style)
 *   GET /api/docs/init.js     starts Swagger UI; its settings come from data- attributes
 *   GET /api/docs/docs.css    the page's own few styles (sign-in form, plain fallback)
 *   GET /api/docs/assets/…    swagger-ui-dist's bundle, stylesheet and icons
 *
 * The document itself needs a token, so init.js fetches it with the token kept in
 * localStorage (`tokenStorageKey`, shared with the apps when they use the same key); on 401 it
 * shows a small sign-in form that calls the login endpoint and stores the token. Try-it-out
 * requests carry the same token unless one was entered with Swagger UI's Authorize button.
 *
 * Without swagger-ui-dist the page still works: init.js renders a plain list of the paths.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type Request, type Response, type NextFunction } from 'express';

export interface DocsOptions {
  /** Where the page lives. Default `/api/docs`. */
  base?: string;
  /** The OpenAPI document. Default `/api/openapi.json`. */
  specUrl?: string;
  /** The login endpoint the sign-in form posts to. Default `/api/auth/login`. */
  loginUrl?: string;
  /** The localStorage key of the bearer token. Default `formwork.token`. */
  tokenStorageKey?: string;
  /** The page title. Default `Formwork API`. */
  title?: string;
  /** swagger-ui-dist's folder; `null` serves the plain fallback. Default: resolved from node_modules. */
  assetsDir?: string | null;
}

/** The swagger-ui-dist files the page uses (nothing else in the package is served). */
export const DOCS_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'favicon-16x16.png'] as const;

/** swagger-ui-dist's folder, or null when the package is not installed. */
export function swaggerUiAssetsDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return path.dirname(require.resolve('swagger-ui-dist/package.json'));
  } catch {
    return null;
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * An express router serving the documentation page at `base`, which is the path as the browser
 * sees it. It can be mounted anywhere on the way (`app.use(docsRouter())` or
 * `apiRouter.use(docsRouter())` under `/api`): it matches on the full path.
 */
export function docsRouter(opts: DocsOptions = {}): Router {
  const base = (opts.base ?? '/api/docs').replace(/\/+$/, '');
  const specUrl = opts.specUrl ?? '/api/openapi.json';
  const loginUrl = opts.loginUrl ?? '/api/auth/login';
  const tokenKey = opts.tokenStorageKey ?? 'formwork.token';
  const title = opts.title ?? 'Formwork API';
  const assetsDir = opts.assetsDir === undefined ? swaggerUiAssetsDir() : opts.assetsDir;
  const assets = `${base}/assets`;

  const html = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${assetsDir ? `<link rel="stylesheet" href="${assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="${assets}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${assets}/favicon-16x16.png" sizes="16x16">
` : ''}<link rel="stylesheet" href="${base}/docs.css">
</head>
<body>
<div id="swagger-ui" data-spec-url="${escapeHtml(specUrl)}" data-login-url="${escapeHtml(loginUrl)}" data-token-key="${escapeHtml(tokenKey)}" data-title="${escapeHtml(title)}"></div>
<noscript><p class="fw-docs-msg"><a href="${escapeHtml(specUrl)}">${escapeHtml(specUrl)}</a></p></noscript>
${assetsDir ? `<script src="${assets}/swagger-ui-bundle.js" charset="utf-8"></script>
` : ''}<script src="${base}/init.js" charset="utf-8"></script>
</body>
</html>
`;

  const pages = new Map<string, { type: string; body: string }>([
    [base, { type: 'text/html; charset=utf-8', body: html }],
    [`${base}/`, { type: 'text/html; charset=utf-8', body: html }],
    [`${base}/init.js`, { type: 'text/javascript; charset=utf-8', body: INIT_JS }],
    [`${base}/docs.css`, { type: 'text/css; charset=utf-8', body: DOCS_CSS }],
  ]);
  const allowed = new Set<string>(DOCS_ASSETS);
  const serveAssets = assetsDir
    ? express.static(assetsDir, { index: false, redirect: false, maxAge: '1d', dotfiles: 'ignore', fallthrough: true })
    : null;

  // Matched on the full path (mount point + path), so the router works mounted at the app root
  // or inside the /api router alike.
  const router = Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const full = req.baseUrl + req.path;
    const page = pages.get(full);
    if (page) {
      res.set({ 'Content-Type': page.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.send(page.body);
      return;
    }
    if (serveAssets && full.startsWith(`${assets}/`) && allowed.has(full.slice(assets.length + 1))) {
      res.set('X-Content-Type-Options', 'nosniff');
      const url = req.url;
      req.url = full.slice(assets.length); // "/swagger-ui.css" for express.static
      return serveAssets(req, res, (err?: unknown) => {
        req.url = url;
        next(err);
      });
    }
    next();
  });
  return router;
}

/** The page's script (served as a file, so a strict CSP without 'unsafe-inline' allows it). */
const INIT_JS = `(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  var specUrl = root.getAttribute('data-spec-url');
  var loginUrl = root.getAttribute('data-login-url');
  var tokenKey = root.getAttribute('data-token-key');
  var title = root.getAttribute('data-title');
  var zh = /^zh/i.test(navigator.language || 'zh');
  var T = zh
    ? { signIn: '登录后查看 API 文档', user: '用户名', pass: '密码', go: '登录', failed: '无法加载 API 文档：', expired: '登录已过期，请重新登录' }
    : { signIn: 'Sign in to read the API documentation', user: 'Username', pass: 'Password', go: 'Sign in', failed: 'Could not load the API document: ', expired: 'Your session has expired; sign in again' };

  function getToken() { try { return window.localStorage.getItem(tokenKey) || ''; } catch (e) { return ''; } }
  function setToken(v) { try { window.localStorage.setItem(tokenKey, v); } catch (e) { /* private mode */ } }
  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return n;
  }
  function show(node) { root.textContent = ''; root.appendChild(node); }
  function message(text) { show(el('p', { 'class': 'fw-docs-msg', role: 'alert' }, [text])); }

  function load() {
    var headers = { Accept: 'application/json' };
    var token = getToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    fetch(specUrl, { headers: headers, credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 401) { signIn(token ? T.expired : ''); return null; }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (spec) { if (spec) render(spec); })
      .catch(function (e) { message(T.failed + (e && e.message ? e.message : String(e))); });
  }

  function render(spec) {
    root.textContent = '';
    if (typeof window.SwaggerUIBundle === 'function') {
      window.ui = window.SwaggerUIBundle({
        spec: spec,
        domNode: root,
        deepLinking: true,
        persistAuthorization: true,
        displayRequestDuration: true,
        presets: [window.SwaggerUIBundle.presets.apis],
        layout: 'BaseLayout',
        requestInterceptor: function (req) {
          var t = getToken();
          if (t && !req.headers.Authorization) req.headers.Authorization = 'Bearer ' + t;
          return req;
        }
      });
    } else {
      plain(spec);
    }
  }

  function plain(spec) {
    var info = spec.info || {};
    var list = el('div', { 'class': 'fw-docs-plain' }, [el('h1', {}, [(info.title || title) + ' ' + (info.version || '')])]);
    if (info.description) list.appendChild(el('p', {}, [info.description]));
    var byTag = {};
    var order = (spec.tags || []).map(function (t) { return t.name; });
    Object.keys(spec.paths || {}).forEach(function (p) {
      var item = spec.paths[p];
      ['get', 'post', 'put', 'patch', 'delete'].forEach(function (m) {
        var op = item[m];
        if (!op) return;
        var tag = (op.tags && op.tags[0]) || '';
        if (!byTag[tag]) { byTag[tag] = []; if (order.indexOf(tag) < 0) order.push(tag); }
        byTag[tag].push(el('li', {}, [el('code', { 'class': 'fw-m fw-m-' + m }, [m.toUpperCase()]), ' ', el('code', {}, [p]), ' ', op.summary || '']));
      });
    });
    (spec.tags || []).forEach(function (t) { if (t.description) byTag['#' + t.name] = t.description; });
    order.forEach(function (tag) {
      if (!byTag[tag]) return;
      list.appendChild(el('h2', {}, [byTag['#' + tag] || tag]));
      list.appendChild(el('ul', {}, byTag[tag]));
    });
    show(list);
  }

  function signIn(note) {
    var u = el('input', { name: 'username', autocomplete: 'username', required: 'required' });
    var p = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: 'required' });
    var err = el('p', { 'class': 'fw-docs-err', role: 'alert' }, [note || '']);
    var form = el('form', { 'class': 'fw-docs-login' }, [
      el('h1', {}, [title]), el('p', {}, [T.signIn]),
      el('label', {}, [T.user, u]), el('label', {}, [T.pass, p]),
      el('button', { type: 'submit' }, [T.go]), err
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      err.textContent = '';
      fetch(loginUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username: u.value, password: p.value })
      })
        .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
        .then(function (r) {
          if (r.ok && r.body && r.body.token) { setToken(r.body.token); load(); }
          else err.textContent = (r.body && r.body.error && r.body.error.message) || 'HTTP error';
        })
        .catch(function (e) { err.textContent = String(e && e.message ? e.message : e); });
    });
    show(form);
    u.focus();
  }

  load();
})();
`;

const DOCS_CSS = `body { margin: 0; background: #fff; }
.fw-docs-msg, .fw-docs-login, .fw-docs-plain { font: 14px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; color: #222; }
.fw-docs-msg { margin: 2rem; }
.fw-docs-login { max-width: 22rem; margin: 4rem auto; padding: 1.5rem; border: 1px solid #ddd; border-radius: 6px; }
.fw-docs-login h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
.fw-docs-login label { display: block; margin: .75rem 0; }
.fw-docs-login input { display: block; box-sizing: border-box; width: 100%; margin-top: .25rem; padding: .4rem; font: inherit; }
.fw-docs-login button { padding: .45rem 1.2rem; font: inherit; cursor: pointer; }
.fw-docs-err { color: #b00020; min-height: 1.5em; }
.fw-docs-plain { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
.fw-docs-plain ul { list-style: none; padding: 0; }
.fw-docs-plain li { margin: .2rem 0; }
.fw-m { display: inline-block; min-width: 4.5em; font-weight: 600; }
.fw-m-get { color: #0b6bcb; } .fw-m-post { color: #138a36; } .fw-m-put, .fw-m-patch { color: #b26a00; } .fw-m-delete { color: #b00020; }
`;
