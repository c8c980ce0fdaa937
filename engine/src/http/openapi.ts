/**
 * The OpenAPI 3.1 document of the whole HTTP API (../../../shared/API.md), generated from the
 * published forms.
 *
 * Pure and deterministic: the same forms and options give the same document (forms are sorted
 * by key, fields keep their form order), with no clock, randomness or I/O, so the caller can
 * cache it per metadata version (and per role, when `visibleFields` narrows it).
 *
 * Schemas are JSON Schema 2020-12 (the OpenAPI 3.1 dialect): a value that may be null is
 * `type: [T, 'null']`. Field value schemas come from the field-type registry
 * (meta/field-types.ts), so the document agrees with validation by construction.
 *
 * It describes exactly what server.ts mounts (test/http/openapi-routes.test.ts compares the two
 * both ways): the API.md endpoints that are not served yet are listed in `PLANNED` and left out
 * unless `includePlanned` names them.
 *
 * Component names:
 * - per form `<P>Record` (a record as read), `<P>Input` (create body), `<P>Patch` (update body),
 *   `<P>List` (a page of records), where `<P>` is `formComponentName(key)`;
 * - fixed names (`Error`, `User`, `RecordObject`, …) never end in Record/Input/Patch/List, and
 *   `formComponentName` is injective, so no two components can collide.
 */
import { HTTP_STATUS, type ErrorCode } from '../errors.js';
import { fieldTypeSpec, isComputed, type JsonSchema } from '../meta/field-types.js';
import { FIELD_TYPES, KEY_PATTERN, META_KINDS, type FieldDef, type FormDef, type Label } from '../meta/types.js';
import { SECURITY_EVENTS } from '../auth/security-log.js';
import type { InstanceStatus } from '../workflow/types.js';
import type { DeliveryStatus } from '../workflow/webhook-delivery.js';

export type DocLang = 'zh-CN' | 'en';

export interface OpenApiOptions {
  /** `info.version` (the engine version, or engine version + metadata version). */
  version: string;
  /** `info.title`; default "Formwork API". */
  title?: string;
  /** `servers[0].url`, e.g. `https://crm.example.com` (paths already start with `/api`). */
  serverUrl?: string;
  /** Language of titles and descriptions. Default: zh-CN with en in parentheses. */
  lang?: DocLang;
  /**
   * The top-level fields of a form to document (a permission layer narrows them per role).
   * Default: the live fields. Soft-deleted fields are dropped whatever the hook returns.
   */
  visibleFields?: (form: FormDef) => FieldDef[];
  /**
   * Describe these `PLANNED` path groups although the server does not serve them yet (for the
   * tests that keep their descriptions valid, or a server that mounts them). Default: none.
   */
  includePlanned?: readonly PathGroup[];
}

/** Groups of API.md paths that `PLANNED` can leave out of the document. */
export type PathGroup = 'recordsExportImport' | 'reports' | 'dashboards' | 'packs';

/**
 * Path groups of API.md that the server does not serve yet. Their descriptions stay in
 * `buildOpenApi`, but they are left out of the document, so that a client generated from it
 * never calls a 404. When the issue named here mounts the routes, delete the group's entry: the
 * paths come back, and openapi-routes.test.ts checks that the document and the routes agree.
 */
export const PLANNED: Partial<Record<PathGroup, string>> = {};

/** An OpenAPI 3.1 document, as plain JSON. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  security: Record<string, string[]>[];
  tags: { name: string; description?: string; 'x-displayName'?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    parameters: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}

/** Every status of a workflow instance (a new one fails to compile here until it is listed). */
const INSTANCE_STATUS: Record<InstanceStatus, true> = { running: true, completed: true, rejected: true, cancelled: true, failed: true };
const INSTANCE_STATUSES = Object.keys(INSTANCE_STATUS) as InstanceStatus[];
const DELIVERY_STATUS: Record<DeliveryStatus, true> = { pending: true, succeeded: true, failed: true };
const DELIVERY_STATUSES = Object.keys(DELIVERY_STATUS) as DeliveryStatus[];

/** The error codes of API.md, in its order. */
export const ERROR_CODES = Object.keys(HTTP_STATUS) as ErrorCode[];

/** The security scheme's name in `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearerAuth';

/**
 * The component-name stem of a form key: PascalCase, `_x` → `X` (a lowercase letter after an
 * underscore), any other underscore kept. Injective over keys (`a_b` → `AB`, `a__b` → `A_B`,
 * `a_1` → `A_1`) and always matches `^[a-zA-Z0-9._-]+$`.
 */
export function formComponentName(formKey: string): string {
  let out = '';
  for (let i = 0; i < formKey.length; i++) {
    const c = formKey[i]!;
    const next = formKey[i + 1];
    if (i === 0) out += c.toUpperCase();
    else if (c === '_' && next !== undefined && next >= 'a' && next <= 'z') {
      out += next.toUpperCase();
      i++;
    } else out += /[A-Za-z0-9_]/.test(c) ? c : '_';
  }
  return out || '_';
}

// ---------------------------------------------------------------------------------------------
// Small builders

const SCHEMA_REF = '#/components/schemas/';
const ref = (name: string): JsonSchema => ({ $ref: SCHEMA_REF + name });
const paramRef = (name: string) => ({ $ref: '#/components/parameters/' + name });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const str = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
const int = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
const arr = (items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({ type: 'array', items, ...extra });
const obj = (properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  ...(required.length ? { required } : {}),
  properties,
  ...extra,
});

/** Add `null` to a schema's allowed values. */
function nullable(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  const t = out.type;
  if (typeof t === 'string') out.type = t === 'null' ? t : [t, 'null'];
  else if (Array.isArray(t) && !t.includes('null')) out.type = [...t, 'null'];
  else if (t === undefined && !('enum' in out) && !('const' in out)) return { anyOf: [schema, { type: 'null' }] };
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

type ErrorResponseName =
  | 'BadRequest' | 'Unauthenticated' | 'Forbidden' | 'NotFound' | 'Conflict'
  | 'PayloadTooLarge' | 'Validation' | 'RateLimited' | 'Internal';

const ERROR_RESPONSES: Record<ErrorResponseName, { status: number; codes: ErrorCode[]; zh: string; en: string }> = {
  BadRequest: { status: 400, codes: ['bad_request'], zh: '请求有误（JSON 格式、未知的筛选运算符或字段、查询参数）', en: 'Malformed request (JSON, unknown filter operator or field, bad query parameter)' },
  Unauthenticated: { status: 401, codes: ['unauthenticated'], zh: '未登录或令牌无效', en: 'Missing or invalid token' },
  Forbidden: { status: 403, codes: ['forbidden'], zh: '没有权限', en: 'Not allowed' },
  NotFound: { status: 404, codes: ['not_found'], zh: '不存在', en: 'Not found' },
  Conflict: { status: 409, codes: ['conflict', 'data_loss'], zh: '冲突（`_version` 过期、任务已不在待办、唯一值已被占用）；`data_loss`：发布会丢失数据且未确认', en: 'Conflict (stale `_version`, task no longer open, unique value taken); `data_loss`: a publish would lose data and was not confirmed' },
  PayloadTooLarge: { status: 413, codes: ['payload_too_large'], zh: '请求体过大', en: 'Payload too large' },
  Validation: { status: 422, codes: ['validation'], zh: '校验未通过，`fields` 按字段列出原因', en: 'Validation failed; `fields` lists the messages by field' },
  RateLimited: { status: 429, codes: ['rate_limited'], zh: '请求过于频繁', en: 'Too many requests' },
  Internal: { status: 500, codes: ['internal'], zh: '服务器内部错误', en: 'Internal error' },
};

interface OpSpec {
  tag: string;
  id: string;
  summary: [zh: string, en: string];
  description?: string;
  /** Default true: the global bearer scheme applies. `optional`: works with or without a token. */
  auth?: boolean | 'optional';
  parameters?: unknown[];
  body?: { content: Record<string, unknown>; required?: boolean; description?: string };
  responses: Record<string, unknown>;
  /** Error responses beyond the ones every operation has (401/403 when authenticated, 429, 500). */
  errors?: ErrorResponseName[];
}

// ---------------------------------------------------------------------------------------------

/** The OpenAPI 3.1 document of the whole API, with concrete paths and schemas for `forms`. */
export function buildOpenApi(forms: FormDef[], opts: OpenApiOptions): OpenApiDocument {
  const lang = opts.lang;
  const t = (zh: string, en: string): string => (lang === 'zh-CN' ? zh : lang === 'en' ? en : zh === en ? zh : `${zh} (${en})`);
  const label = (l: Label | undefined): string => {
    if (l == null) return '';
    if (typeof l === 'string') return l;
    const zh = l['zh-CN'];
    const en = l.en;
    if (lang === 'zh-CN') return zh ?? en ?? '';
    if (lang === 'en') return en ?? zh ?? '';
    if (zh && en && zh !== en) return `${zh} (${en})`;
    return zh ?? en ?? '';
  };

  /** Is this path group in the document (served, or asked for with `includePlanned`)? */
  const described = (g: PathGroup): boolean => !PLANNED[g] || (opts.includePlanned?.includes(g) ?? false);

  const schemas: Record<string, JsonSchema> = {};
  const addSchema = (name: string, schema: JsonSchema) => {
    if (name in schemas) throw new Error(`OpenAPI: component name ${name} used twice`);
    schemas[name] = schema;
  };
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();

  const op = (s: OpSpec) => {
    if (operationIds.has(s.id)) throw new Error(`OpenAPI: operationId ${s.id} used twice`);
    operationIds.add(s.id);
    const auth = s.auth !== false && s.auth !== 'optional';
    const names = new Set<ErrorResponseName>(s.errors ?? []);
    if (auth) names.add('Unauthenticated').add('Forbidden');
    names.add('RateLimited').add('Internal');
    const responses: Record<string, unknown> = { ...s.responses };
    for (const n of Object.keys(ERROR_RESPONSES) as ErrorResponseName[]) {
      if (names.has(n)) responses[String(ERROR_RESPONSES[n].status)] = { $ref: '#/components/responses/' + n };
    }
    return {
      tags: [s.tag],
      summary: t(...s.summary),
      ...(s.description ? { description: s.description } : {}),
      operationId: s.id,
      ...(s.parameters?.length ? { parameters: s.parameters } : {}),
      ...(s.body ? { requestBody: { required: s.body.required ?? true, content: s.body.content, ...(s.body.description ? { description: s.body.description } : {}) } } : {}),
      responses,
      ...(s.auth === false ? { security: [] } : s.auth === 'optional' ? { security: [{}, { [BEARER_SCHEME]: [] }] } : {}),
    };
  };
  const path = (p: string, item: Record<string, unknown>) => {
    if (p in paths) throw new Error(`OpenAPI: path ${p} defined twice`);
    paths[p] = item;
  };
  const ok = (description: string, schema?: JsonSchema) => ({ description, ...(schema ? { content: json(schema) } : {}) });

  const sortedForms = [...forms].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const formKeys = sortedForms.map((f) => f.key);
  const shownFields = (form: FormDef): FieldDef[] =>
    (opts.visibleFields ? opts.visibleFields(form) : form.fields).filter((f) => !f.deleted);

  // ----- fixed schemas ------------------------------------------------------------------------
  addSchema('Error', obj(
    {
      error: obj(
        {
          code: str({ enum: [...ERROR_CODES], description: t('错误码', 'Error code') }),
          message: str({ description: t('按 Accept-Language 给出的说明', 'Message in the language of Accept-Language') }),
          fields: {
            type: 'object',
            description: t('字段键 → 该字段的错误信息（校验错误）', 'Field key → messages for that field (validation errors)'),
            additionalProperties: arr(str()),
          },
          details: { description: t('附加信息（例如会丢失数据的步骤）', 'Extra facts (such as the steps that would lose data)') },
        },
        ['code', 'message'],
      ),
    },
    ['error'],
    { title: t('错误', 'Error'), description: t('所有错误的格式；不含堆栈', 'Every error has this shape; no stack trace') },
  ));
  addSchema('Label', {
    title: t('标签', 'Label'),
    description: t('字符串，或 zh-CN/en 两种语言', 'A string, or a zh-CN/en pair'),
    anyOf: [str(), { type: 'object', properties: { 'zh-CN': str(), en: str() }, additionalProperties: false }],
  });
  addSchema('Health', obj({ status: { const: 'ok' } }, ['status']));
  addSchema('User', obj(
    {
      id: int({ minimum: 1 }),
      username: str(),
      displayName: str(),
      roles: arr(str({ pattern: KEY_PATTERN }), { description: t('角色键', 'Role keys') }),
      department: { type: ['integer', 'null'], description: t('部门 id', 'Department id') },
      disabled: { type: 'boolean' },
      service: { type: 'boolean', description: t('服务账号：没有密码，不能登录，只通过 API 令牌访问', 'A service user: no password, cannot sign in, acts only through API tokens') },
      email: { type: ['string', 'null'], description: t('流程通知邮件的收件地址', 'Where workflow notifications are mailed') },
    },
    ['id', 'username', 'displayName', 'roles'],
    { title: t('用户', 'User'), description: t('不含任何密钥', 'Never carries a secret') },
  ));
  addSchema('UserCreate', obj(
    {
      username: str({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' }),
      password: str({ minLength: 8, maxLength: 200, writeOnly: true, description: t('省略则该用户不能用密码登录', 'Without one the user cannot sign in with a password') }),
      displayName: str({ description: t('默认为用户名', 'Defaults to the username') }),
      roles: arr(str({ pattern: KEY_PATTERN }), { maxItems: 50, default: [] }),
      department: { type: ['integer', 'null'], description: t('部门 id', 'Department id') },
      email: { type: ['string', 'null'], maxLength: 254, description: t('邮箱地址；null 或空串表示没有', 'An e-mail address; null or empty for none') },
      service: { type: 'boolean', default: false, description: t('服务账号（不能带密码）：只通过 API 令牌访问', 'A service user (no password allowed): acts only through API tokens') },
    },
    ['username'],
  ));
  addSchema('UserUpdate', obj({
    roles: arr(str({ pattern: KEY_PATTERN }), { maxItems: 50 }),
    department: { type: ['integer', 'null'] },
    disabled: { type: 'boolean' },
    displayName: str(),
    password: str({ minLength: 8, maxLength: 200, writeOnly: true, description: t('设置新密码', 'Sets a new password') }),
    email: { type: ['string', 'null'], maxLength: 254, description: t('邮箱地址；null 或空串表示没有', 'An e-mail address; null or empty for none') },
  }));
  const DEPT_KINDS = ['group', 'store', 'department'];
  addSchema('Department', obj(
    {
      id: int({ minimum: 1 }),
      parent: { type: ['integer', 'null'], description: t('上级部门 id', 'The parent department id') },
      key: { type: ['string', 'null'], pattern: KEY_PATTERN },
      name: str(),
      kind: str({ enum: DEPT_KINDS, description: t('集团 → 门店 → 部门', 'Dealer group → store → department') }),
      head: { type: ['integer', 'null'], description: t('负责人（用户 id）', 'The head (user id)') },
    },
    ['id', 'parent', 'key', 'name', 'kind', 'head'],
    { title: t('部门', 'Department') },
  ));
  const departmentProps = (): Record<string, JsonSchema> => ({
    name: str({ minLength: 1, maxLength: 200 }),
    parent: { type: ['integer', 'null'], description: t('上级部门 id；不能移到自己下面', 'The parent department id; not one below itself') },
    key: { type: ['string', 'null'], pattern: KEY_PATTERN },
    kind: str({ enum: DEPT_KINDS }),
    head: { type: ['integer', 'null'], description: t('负责人（用户 id）', 'The head (user id)') },
  });
  addSchema('DepartmentCreate', obj({ ...departmentProps(), kind: str({ enum: DEPT_KINDS, default: 'department' }) }, ['name']));
  addSchema('DepartmentUpdate', obj(departmentProps()));
  const SCOPE = str({
    pattern: '^([a-z][a-z0-9_]{0,47}|\\*):([a-z]+|\\*)$',
    description: t('`表单:操作`，表单或操作可为 `*`', '`form:action`; either may be `*`'),
    examples: ['customer:read', '*:read', 'vehicle_order:create'],
  });
  const apiTokenProps = (): Record<string, JsonSchema> => ({
    id: int({ minimum: 1 }),
    name: str(),
    user: obj({ id: int({ minimum: 1 }), username: str() }, ['id', 'username'], { description: t('令牌代表的服务账号', 'The service user the token acts as') }),
    scopes: arr(SCOPE, { description: t('在该服务账号的角色之内进一步收窄', "Narrow what the service user's roles allow") }),
    createdAt: str({ format: 'date-time' }),
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    status: str({ enum: ['active', 'expired', 'revoked'] }),
  });
  const API_TOKEN_REQUIRED = ['id', 'name', 'user', 'scopes', 'createdAt', 'expiresAt', 'revokedAt', 'status'];
  addSchema('ApiToken', obj(apiTokenProps(), API_TOKEN_REQUIRED, { title: t('API 令牌', 'API token'), description: t('不含令牌本身', 'Without the secret') }));
  addSchema('ApiTokenCreate', obj(
    {
      name: str({ minLength: 1, maxLength: 128 }),
      user: int({ minimum: 1, description: t('服务账号的用户 id', 'The id of a service user') }),
      scopes: arr(SCOPE, { minItems: 1, maxItems: 100 }),
      expiresAt: { type: ['string', 'null'], format: 'date-time', description: t('将来的时间；省略则不过期', 'A future time; without it the token does not expire') },
    },
    ['name', 'user', 'scopes'],
  ));
  addSchema('ApiTokenCreated', obj(
    { ...apiTokenProps(), token: str({ description: t('令牌本身，只在此时返回一次', 'The token itself, shown this once'), examples: ['fwk_…'] }) },
    [...API_TOKEN_REQUIRED, 'token'],
    { title: t('新建的 API 令牌', 'New API token') },
  ));
  addSchema('SecurityEntry', obj(
    {
      id: int({ minimum: 1 }),
      at: str({ format: 'date-time' }),
      event: str({ examples: [...SECURITY_EVENTS] }),
      actorId: { type: ['integer', 'null'] },
      actorName: { type: ['string', 'null'] },
      target: { type: ['string', 'null'], examples: ['user:12', 'token:3', 'department:4', 'forms/customer'] },
      detail: { type: 'object', additionalProperties: true, description: t('不含任何密钥', 'Never a secret') },
      address: { type: ['string', 'null'], description: t('客户端地址', 'The client address') },
      requestId: { type: ['string', 'null'], description: 'X-Request-Id' },
    },
    ['id', 'at', 'event', 'actorId', 'actorName', 'target', 'detail', 'address', 'requestId'],
    { title: t('安全日志条目', 'Security log entry') },
  ));
  addSchema('LoginRequest', obj({ username: str(), password: str({ writeOnly: true }) }, ['username', 'password']));
  addSchema('LoginResponse', obj({ token: str({ description: t('放在 Authorization: Bearer 中', 'Send as Authorization: Bearer') }), user: ref('User') }, ['token', 'user']));
  addSchema('MetaSummary', obj(
    {
      key: str({ pattern: KEY_PATTERN }), label: ref('Label'), module: { type: ['string', 'null'] },
      revision: { type: ['integer', 'null'], description: t('已发布的版本号；从未发布为 null', 'The published revision; null before the first publish') },
      status: str({ enum: ['draft', 'published', 'modified'], description: t('modified：已发布且有未发布的草稿', 'modified: published, with an unpublished draft') }),
    },
    ['key', 'label', 'module', 'revision', 'status'],
  ));
  addSchema('FieldDocument', obj(
    {
      id: str({ description: t('不可变的标识，新字段可省略', 'Immutable identity; a new field may omit it') }),
      key: str({ pattern: KEY_PATTERN }),
      type: str({ enum: [...FIELD_TYPES] }),
      label: ref('Label'),
      required: { type: 'boolean' },
      help: ref('Label'),
      options: arr(obj({ key: str({ pattern: KEY_PATTERN }), label: ref('Label'), color: str() }, ['key', 'label'])),
      formula: { description: t('计算值（json-logic）', 'A computed value (json-logic)') },
      fields: arr(ref('FieldDocument'), { description: t('子表的字段', 'The fields of a subtable') }),
      deleted: { type: 'boolean' },
    },
    ['key', 'type', 'label'],
    { title: t('字段定义', 'Field definition'), description: t('更多属性见 engine/src/meta/types.ts 的 FieldDef', 'More properties: FieldDef in engine/src/meta/types.ts') },
  ));
  addSchema('FormDocument', obj(
    { key: str({ pattern: KEY_PATTERN }), label: ref('Label'), module: str(), description: ref('Label'), fields: arr(ref('FieldDocument')), titleField: str() },
    ['key', 'label', 'fields'],
    { title: t('表单定义', 'Form document') },
  ));
  addSchema('MetaDocument', obj(
    { key: str({ pattern: KEY_PATTERN }), label: ref('Label'), module: str() },
    ['key'],
    { title: t('元数据文档', 'Metadata document'), description: t('表单、流程、报表、仪表板或角色的文档；由元模式校验', 'A form, workflow, report, dashboard or role document, checked by its metaschema') },
  ));
  addSchema('PlanStep', obj(
    {
      op: str({ examples: ['create_table', 'add_column', 'soft_delete', 'change_type', 'purge'] }),
      field: str({ description: t('字段键（子表字段为 `子表.键`）', 'The field key (`subtable.key` for a subtable field)') }),
      fieldId: str(),
      table: str(),
      column: str(),
      destructive: { type: 'boolean', description: t('会丢失已存数据', 'Loses stored data') },
      detail: { type: 'object', additionalProperties: true },
    },
    ['op', 'destructive'],
  ));
  addSchema('Plan', obj({ form: str(), steps: arr(ref('PlanStep')) }, ['steps']));
  addSchema('PublishRequest', obj({
    confirmDataLoss: { type: 'boolean', description: t('确认执行会丢失数据的步骤', 'Confirm steps that lose data') },
    note: str({ maxLength: 500, description: t('版本说明', 'A note kept with the revision') }),
  }));
  addSchema('RollbackRequest', obj({ revision: int({ minimum: 1 }), confirmDataLoss: { type: 'boolean' } }, ['revision']));
  addSchema('DocChange', obj(
    { path: str({ description: t('JSON 指针', 'JSON Pointer') }), op: str({ enum: ['add', 'remove', 'change'] }), from: {}, to: {} },
    ['path', 'op'],
  ));
  addSchema('PublishResult', obj({ revision: int({ minimum: 1 }), steps: arr(ref('PlanStep')) }, ['revision', 'steps']));
  addSchema('MetaRevision', obj(
    {
      revision: int({ minimum: 1 }),
      publishedAt: str({ format: 'date-time' }),
      publishedBy: { type: ['integer', 'null'], description: t('发布人（用户 id）', 'Publisher (user id)') },
      note: { type: ['string', 'null'] },
      steps: { description: t('发布时执行的步骤', 'The steps the publish ran') },
    },
    ['revision', 'publishedAt'],
    { description: t('一个已发布的版本', 'One published revision') },
  ));

  const systemProps = (): Record<string, JsonSchema> => ({
    id: int({ minimum: 1, readOnly: true, description: t('记录 id', 'Record id') }),
    _version: int({ minimum: 1, readOnly: true, description: t('版本号；更新时带回（乐观锁）', 'Version; send it back when updating (optimistic lock)') }),
    _createdAt: str({ format: 'date-time', readOnly: true }),
    _updatedAt: str({ format: 'date-time', readOnly: true }),
    _createdBy: { type: ['integer', 'null'], readOnly: true, description: t('创建人（用户 id）', 'Creator (user id)') },
    _owner: { type: ['integer', 'null'], readOnly: true, description: t('负责人（用户 id）', 'Owner (user id)') },
  });
  const SYSTEM_REQUIRED = ['id', '_version', '_createdAt', '_updatedAt', '_createdBy', '_owner'];
  const VERSION_PROP = int({ minimum: 1, description: t('读取时的 `_version`；过期时返回 conflict', 'The `_version` read; `conflict` when stale') });

  addSchema('RecordObject', obj(systemProps(), SYSTEM_REQUIRED, {
    title: t('记录', 'Record'),
    description: t('字段按键给出，另有系统属性；调用者无权查看的字段不出现', 'Fields by key plus system properties; a field the caller may not see is absent'),
    additionalProperties: true,
  }));
  addSchema('RecordValues', { type: 'object', description: t('字段键 → 值', 'Field key → value'), additionalProperties: true });
  addSchema('RecordChanges', obj({ _version: VERSION_PROP }, ['_version'], { description: t('改动的字段和 `_version`', 'The changed fields and `_version`'), additionalProperties: true }));
  const pageOf = (items: JsonSchema, title?: string): JsonSchema => obj(
    { items: arr(items), total: int({ minimum: 0 }), page: int({ minimum: 1 }), pageSize: int({ minimum: 1, maximum: 500 }) },
    ['items', 'total', 'page', 'pageSize'],
    title ? { title } : {},
  );
  addSchema('RecordPage', obj(
    {
      items: arr(ref('RecordObject')), total: int({ minimum: 0, description: t('匹配的记录数；totalCapped 时为上限（实际更多）', 'Matching records; with totalCapped, the cap (there are more)') }),
      page: int({ minimum: 1 }), pageSize: int({ minimum: 1, maximum: 500 }),
      totalCapped: { type: 'boolean', const: true, description: t('计数在上限处停止（用 count=exact 取精确数）', 'The count stopped at the cap (count=exact counts them all)') },
      next: { type: ['string', 'null'], description: t('下一页的游标（after=），最后一页为 null', "The next page's cursor (after=), null on the last page") },
    },
    ['items', 'total', 'page', 'pageSize', 'next'],
  ));
  addSchema('SecurityPage', pageOf(ref('SecurityEntry'), t('安全日志（最新的在前）', 'Security log (newest first)')));
  addSchema('HistoryEntry', obj(
    {
      at: str({ format: 'date-time' }),
      by: { type: ['integer', 'null'], description: t('操作人（用户 id）', 'Actor (user id)') },
      byName: { type: ['string', 'null'], description: t('操作人姓名', "The actor's display name") },
      action: str({ examples: ['create', 'update', 'delete'] }),
      changes: {
        type: 'object',
        description: t('字段键 → [旧值, 新值]', 'Field key → [old, new]'),
        additionalProperties: { type: 'array', minItems: 2, maxItems: 2 },
      },
    },
    ['at', 'by', 'action', 'changes'],
  ));
  if (described('recordsExportImport')) {
    const nstr = { type: ['string', 'null'] };
    addSchema('ImportIssue', obj(
      {
        row: int({ minimum: 1, description: t('表格中的行号（表头为第 1 行）', 'The row number as the spreadsheet shows it (the header is row 1)') }),
        column: { ...nstr, description: t('列的表头', "The column's header") },
        field: { ...nstr, description: t('字段键（子表为 key.序号.key）', 'The field key (subtables: key.index.key)') },
        message: str(),
      },
      ['row', 'column', 'field', 'message'],
    ));
    addSchema('ImportResult', obj(
      {
        id: str({ format: 'uuid' }), form: str(),
        status: str({ enum: ['queued', 'running', 'done', 'failed'] }),
        phase: { type: ['string', 'null'], enum: ['validating', 'writing', null], description: t('all_or_nothing 先校验全部行，再写入', 'all_or_nothing validates every row, then writes') },
        dryRun: { type: 'boolean' }, mode: str({ enum: ['all_or_nothing', 'valid_only'] }),
        fileName: nstr, fileKind: str({ enum: ['csv', 'xlsx'] }),
        total: { type: ['integer', 'null'], description: t('数据行数（读完文件后才知道）', 'Data rows (known once the file has been read through)') },
        processed: int({ minimum: 0, description: t('本阶段已处理的行数', 'Rows processed in the current phase') }),
        created: int({ minimum: 0 }), failedRows: int({ minimum: 0 }), errorCount: int({ minimum: 0 }),
        committed: { type: 'boolean', description: t('是否写入了记录', 'Whether records were written') },
        errors: arr(ref('ImportIssue'), { description: t('前 1000 条问题（errorCount 为总数）', 'The first 1000 issues (errorCount counts them all)') }),
        warnings: arr(ref('ImportIssue'), { description: t('被忽略的列等', 'Ignored columns and the like') }),
        mapping: { type: 'object', additionalProperties: nstr, description: t('表头 → 字段键（null：忽略）', 'Header → field key (null: ignored)') },
        failure: { anyOf: [{ type: 'null' }, obj({ code: str(), message: str() }, ['code', 'message'])] },
        createdBy: { type: ['integer', 'null'] }, createdAt: str({ format: 'date-time' }),
        startedAt: { type: ['string', 'null'], format: 'date-time' }, finishedAt: { type: ['string', 'null'], format: 'date-time' },
      },
      ['id', 'form', 'status', 'dryRun', 'mode', 'processed', 'created', 'failedRows', 'errorCount', 'committed', 'mapping', 'createdAt'],
      { title: t('导入任务', 'An import') },
    ));
    addSchema('ImportPage', obj({ items: arr(ref('ImportResult')) }, ['items']));
  }
  addSchema('Task', obj(
    {
      id: int({ minimum: 1 }), title: str(), workflow: str(), node: str({ description: t('流程节点 id', 'The workflow node id') }),
      form: { type: ['string', 'null'] }, recordId: { type: ['integer', 'null'], minimum: 1 },
      assignee: { type: ['integer', 'null'], description: t('处理人（用户 id）', 'Assignee (user id)') },
      status: str({ examples: ['open', 'done', 'cancelled'] }),
      kind: str({ description: t('任务种类；`cc` 为抄送', 'The kind of task; `cc` for a copy sent to the caller'), examples: ['approval', 'cc'] }),
      createdAt: str({ format: 'date-time' }),
      dueAt: { type: ['string', 'null'], format: 'date-time' },
      actions: arr(str(), { description: t('可执行的动作，如 approve、reject、return、transfer', 'Actions available: approve, reject, return, transfer, …') }),
      editableFields: arr(str(), { description: t('处理人可以修改的记录字段（随 `fields` 提交）', 'The record fields the assignee may edit (sent in `fields`)') }),
      instance: int({ minimum: 1, description: t('流程实例 id', 'The workflow instance id') }),
      recordTitle: { type: ['string', 'null'], description: t('记录的标题（表单的标题字段）', "The record's title (its form's title field)") },
      doneAt: { type: ['string', 'null'], format: 'date-time' },
      action: { type: ['string', 'null'], description: t('处理时选择的动作', 'The action taken') },
      comment: { type: ['string', 'null'] },
    },
    ['id', 'title', 'workflow', 'node', 'form', 'recordId', 'assignee', 'status', 'createdAt', 'dueAt', 'actions'],
    { title: t('待办任务', 'Task') },
  ));
  addSchema('TaskPage', obj({ items: arr(ref('Task')) }, ['items']));
  addSchema('TaskCompletion', obj(
    {
      action: str({ description: t('任务 `actions` 之一', "One of the task's `actions`") }),
      comment: str({ maxLength: 2000 }),
      to: {
        anyOf: [int({ minimum: 1 }), str({ pattern: KEY_PATTERN }), { type: 'null' }],
        description: t(
          '`transfer`、`add_signer`：用户 id；`return`：之前某个节点的 id（省略则退回提交人，由其 `resubmit` 或 `withdraw`）',
          '`transfer` and `add_signer`: a user id; `return`: an earlier node\'s id (without it, `return` goes to the submitter, who may `resubmit` or `withdraw`)',
        ),
      },
      position: str({ enum: ['before', 'after'], description: t('`add_signer`：加在当前处理人之前或之后', '`add_signer`: before or after the current approver') }),
      fields: { type: 'object', description: t('处理人可修改的字段值（任务的 `editableFields`）', "Values of the fields the approver may edit (the task's `editableFields`)"), additionalProperties: true },
    },
    ['action'],
  ));
  addSchema('WorkflowInstance', obj(
    {
      id: int({ minimum: 1 }),
      workflow: str(),
      revision: int({ minimum: 1 }),
      status: str({ enum: [...INSTANCE_STATUSES], description: t('`failed`：自动化运行失败（可重试）', '`failed`: an automation run that failed (it may be retried)') }),
      current: arr(str(), { description: t('当前所在节点', 'The nodes it is at') }),
      startedAt: str({ format: 'date-time' }),
      endedAt: { type: ['string', 'null'], format: 'date-time' },
      history: arr(obj(
        {
          at: str({ format: 'date-time' }), node: { type: ['string', 'null'] }, actor: { type: ['integer', 'null'] }, action: str(), comment: { type: ['string', 'null'] },
          actorName: { type: ['string', 'null'], description: t('操作人姓名', "The actor's display name") },
          nodeLabel: { oneOf: [{ type: 'null' }, ref('Label')], description: t('节点名称', "The node's label") },
        },
        ['at', 'node', 'actor', 'action'],
      )),
      label: ref('Label'),
    },
    ['id', 'workflow', 'revision', 'status', 'current', 'history'],
    { title: t('流程实例', 'Workflow instance') },
  ));
  addSchema('TaskCompletionResult', obj({ task: ref('Task'), instance: ref('WorkflowInstance') }, ['task', 'instance']));
  addSchema('RecordWorkflow', obj({ instances: arr(ref('WorkflowInstance')) }, ['instances']));
  addSchema('ActionResult', obj({ instances: arr(ref('WorkflowInstance'), { description: t('启动的流程实例', 'The instances started') }) }, ['instances']));
  addSchema('PrintTemplateInfo', obj(
    {
      key: str({ pattern: KEY_PATTERN }),
      label: { anyOf: [str(), obj({ 'zh-CN': str(), en: str() })] },
      paper: str({ enum: ['A4', 'A5'] }),
      orientation: str({ enum: ['portrait', 'landscape'] }),
    },
    ['key', 'label', 'paper', 'orientation'],
    { title: t('打印模板', 'Print template') },
  ));
  addSchema('Notification', obj(
    { id: int({ minimum: 1 }), title: str(), body: str(), at: str({ format: 'date-time' }), read: { type: 'boolean' }, link: { type: ['string', 'null'] } },
    ['id', 'title', 'body', 'at', 'read', 'link'],
  ));
  addSchema('NotificationPage', obj(
    { items: arr(ref('Notification'), { maxItems: 200, description: t('最新的 200 条', 'The newest 200') }), unread: int({ minimum: 0, description: t('未读通知数', 'How many are unread') }) },
    ['items', 'unread'],
  ));
  addSchema('WorkflowRun', obj(
    {
      id: int({ minimum: 1, description: t('流程实例 id', 'The workflow instance id') }),
      workflow: str(), revision: int({ minimum: 1 }),
      form: { type: ['string', 'null'] }, recordId: { type: ['integer', 'null'] },
      status: str({ enum: [...INSTANCE_STATUSES] }),
      startedAt: str({ format: 'date-time' }),
      endedAt: { type: ['string', 'null'], format: 'date-time' },
      error: { type: ['string', 'null'], description: t('失败原因', 'Why it failed') },
    },
    ['id', 'workflow', 'revision', 'form', 'recordId', 'status', 'startedAt', 'endedAt', 'error'],
    { title: t('自动化运行', 'Automation run') },
  ));
  addSchema('WorkflowRunPage', obj({ items: arr(ref('WorkflowRun'), { maxItems: 100, description: t('最新的在前', 'Newest first') }) }, ['items']));
  addSchema('HookResult', obj({ instance: ref('WorkflowInstance') }, ['instance']));
  addSchema('WebhookDelivery', obj(
    {
      id: str({ format: 'uuid' }),
      workflow: str(),
      instanceId: { type: ['integer', 'null'] },
      nodeId: str(),
      url: str({ description: t('不含凭据的地址', 'The URL without credentials') }),
      method: str({ examples: ['POST'] }),
      status: str({ enum: [...DELIVERY_STATUSES] }),
      attempts: int({ minimum: 0 }),
      lastStatusCode: { type: ['integer', 'null'] },
      lastError: { type: ['string', 'null'] },
      bodySize: int({ minimum: 0, description: t('请求体字节数（不返回请求体本身）', 'The body size in bytes (never the body)') }),
      createdAt: str({ format: 'date-time' }),
      updatedAt: str({ format: 'date-time' }),
    },
    ['id', 'workflow', 'instanceId', 'nodeId', 'url', 'method', 'status', 'attempts', 'lastStatusCode', 'lastError', 'bodySize', 'createdAt', 'updatedAt'],
    { title: t('Webhook 投递', 'Webhook delivery') },
  ));
  addSchema('WebhookDeliveryPage', obj({ items: arr(ref('WebhookDelivery'), { description: t('最新的在前', 'Newest first') }) }, ['items']));
  if (described('reports')) {
    addSchema('ReportRunRequest', obj({ params: { type: 'object', additionalProperties: true, description: t('报表参数（如 {"period":{"from":"2026-01-01","to":"2026-03-31"}}）', 'Report params (e.g. {"period":{"from":"2026-01-01","to":"2026-03-31"}})') } }));
    addSchema('ReportColumn', obj(
      {
        key: str(), label: str(), type: str({ description: t('字段类型，或 number / money / percent / bucket', 'A field type, or number / money / percent / bucket') }),
        kind: str({ enum: ['dimension', 'measure', 'column'] }),
        options: arr(obj({ key: str(), label: str() }, ['key', 'label']), { description: t('选项键 → 显示名', 'Option key → label') }),
      },
      ['key', 'label', 'type'],
    ));
    const reportRow = { type: 'object', description: t('列键 → 值', 'Column key → value'), additionalProperties: true };
    addSchema('ReportResult', obj(
      {
        key: str(), label: str(), category: str(), type: str({ enum: ['table', 'pivot', 'chart'] }),
        chart: { type: 'object', additionalProperties: true }, params: { type: 'object', additionalProperties: true },
        columns: arr(ref('ReportColumn')),
        rows: arr(reportRow),
        totals: reportRow,
        drill: arr({ oneOf: [{ type: 'null' }, obj({ form: str(), filter: {} }, ['form', 'filter'])] }, { description: t('每行对应的记录列表筛选（下钻）', "Per row: the list filter of the records behind it (drill-down)") }),
        ids: arr(int(), { description: t('明细报表每行的记录 id', "A detail report's record id per row") }),
      },
      ['columns', 'rows'],
      { additionalProperties: true },
    ));
    addSchema('ReportSummary', obj({ key: str(), label: str(), category: str(), module: { type: ['string', 'null'] }, params: arr({ type: 'object', additionalProperties: true }) }, ['key', 'label', 'category']));
  }
  if (described('dashboards')) {
    addSchema('DashboardWidget', obj(
      {
        id: str(), report: str(), title: str(), type: str(), chart: { type: ['object', 'null'], additionalProperties: true },
        layout: obj({ x: int(), y: int(), w: int(), h: int() }, ['x', 'y', 'w', 'h']),
        params: { type: 'object', additionalProperties: true, description: t('报表参数 → 全局筛选（"$filters.KEY"）或常量', 'Report param → a global filter ("$filters.KEY") or a constant') },
      },
      ['id', 'report', 'layout'],
    ));
    addSchema('Dashboard', obj(
      {
        key: str(), label: str(), module: { type: ['string', 'null'] }, description: { type: ['string', 'null'] },
        filters: arr({ type: 'object', additionalProperties: true }), widgets: arr(ref('DashboardWidget')),
      },
      ['key', 'label', 'filters', 'widgets'],
      { additionalProperties: true },
    ));
    addSchema('DashboardRun', obj(
      {
        key: str(),
        widgets: arr(obj({ id: str(), report: str(), result: ref('ReportResult'), error: obj({ code: str(), message: str() }, ['code', 'message']) }, ['id', 'report'])),
      },
      ['key', 'widgets'],
    ));
  }
  addSchema('PublicFormLink', obj(
    {
      id: int(), slug: str({ description: t('公开地址中的随机标识', 'The random part of the public address') }), form: str({ pattern: KEY_PATTERN }),
      fields: arr(str({ pattern: KEY_PATTERN })), title: { oneOf: [{ type: 'null' }, ref('Label')] }, successMessage: { oneOf: [{ type: 'null' }, ref('Label')] },
      enabled: { type: 'boolean' }, submissions: int(), createdAt: str({ format: 'date-time' }), createdBy: { type: ['integer', 'null'] },
    },
    ['id', 'slug', 'form', 'fields', 'enabled', 'submissions', 'createdAt'],
  ));
  addSchema('PublicFormInput', obj(
    {
      form: str({ pattern: KEY_PATTERN }), fields: arr(str({ pattern: KEY_PATTERN }), { description: t('可公开填写的字段（必填字段都要包含）', 'The fields the public may fill in (every required field)') }),
      title: ref('Label'), successMessage: ref('Label'), enabled: { type: 'boolean' },
    },
    [],
  ));
  addSchema('ListView', obj(
    {
      id: int(), form: str(), name: str(),
      filter: { description: t('json-logic 筛选条件（与记录列表的 filter 相同），或 null', 'A json-logic filter (as the record list takes), or null') },
      sort: nullable(str()), columns: nullable(arr(str())), pageSize: int({ minimum: 1, maximum: 500 }), q: nullable(str()),
      isDefault: { type: 'boolean' }, shared: { type: 'boolean' },
      mine: { type: 'boolean', description: t('调用者自己的视图（可修改）；管理员共享的为 false', "The caller's own view (they may change it); false for one an administrator shared") },
      createdAt: str(), updatedAt: str(),
    },
    ['id', 'form', 'name', 'filter', 'sort', 'columns', 'pageSize', 'q', 'isDefault', 'shared', 'mine', 'createdAt', 'updatedAt'],
    { title: t('列表视图', 'List view') },
  ));
  addSchema('ListViewInput', obj(
    {
      form: str({ pattern: KEY_PATTERN }), name: str({ minLength: 1, maxLength: 100 }),
      filter: { description: t('json-logic，按记录列表的规则检查（未知字段或运算为 bad_request）', 'json-logic, checked as the record list checks it (an unknown field or operator is bad_request)') },
      sort: nullable(str({ maxLength: 500 })), columns: nullable(arr(str({ pattern: KEY_PATTERN }))), pageSize: int({ minimum: 1, maximum: 500 }),
      q: nullable(str({ maxLength: 200 })), isDefault: { type: 'boolean' },
      shared: { type: 'boolean', description: t('共享给所有能读此表单的人（仅管理员）', 'Offer it to everyone who may read the form (administrators only)') },
    },
    [],
  ));
  if (described('packs')) {
    addSchema('PackManifest', obj(
      { name: str(), version: str(), engine: str(), label: ref('Label'), description: ref('Label'), modules: arr(str()) },
      ['name', 'version'],
    ));
    addSchema('PackBundle', obj(
      {
        manifest: ref('PackManifest'),
        documents: arr(obj({ kind: str({ enum: [...META_KINDS] }), key: str({ pattern: KEY_PATTERN }), doc: ref('MetaDocument') }, ['kind', 'key', 'doc'])),
      },
      ['manifest', 'documents'],
      { title: t('模板包', 'Pack bundle') },
    ));
    addSchema('PackSummary', obj({ name: str(), version: str(), installedAt: str({ format: 'date-time' }) }, ['name', 'version', 'installedAt']));
    addSchema('PackInstallResult', obj({ installed: arr({}), conflicts: arr({}) }, ['installed', 'conflicts']));
    addSchema('PackUpgradeResult', obj(
      { merged: arr({}), conflicts: arr(obj({ document: str(), path: str(), ours: {}, theirs: {} }, ['document', 'path'])) },
      ['merged', 'conflicts'],
    ));
  }

  // ----- parameters ---------------------------------------------------------------------------
  const parameters: Record<string, unknown> = {
    Kind: { name: 'kind', in: 'path', required: true, description: t('元数据种类', 'Metadata kind'), schema: str({ enum: [...META_KINDS] }) },
    MetaKey: { name: 'key', in: 'path', required: true, schema: str({ pattern: KEY_PATTERN }) },
    FormKey: {
      name: 'form', in: 'path', required: true, description: t('表单键', 'Form key'),
      schema: str(formKeys.length ? { enum: formKeys } : { pattern: KEY_PATTERN }),
    },
    RecordId: { name: 'id', in: 'path', required: true, description: t('记录 id', 'Record id'), schema: int({ minimum: 1 }) },
    UserId: { name: 'id', in: 'path', required: true, schema: int({ minimum: 1 }) },
    TaskId: { name: 'id', in: 'path', required: true, schema: int({ minimum: 1 }) },
    ReportKey: { name: 'key', in: 'path', required: true, schema: str({ pattern: KEY_PATTERN }) },
    DashboardKey: { name: 'key', in: 'path', required: true, schema: str({ pattern: KEY_PATTERN }) },
    ActionKey: { name: 'action', in: 'path', required: true, description: t('手动流程（记录上的按钮）', 'A manual workflow (a button on the record)'), schema: str({ pattern: KEY_PATTERN }) },
    PrintKey: { name: 'template', in: 'path', required: true, description: t('表单的打印模板键', "A print template's key on the form"), schema: str({ pattern: KEY_PATTERN }) },
    Draft: { name: 'draft', in: 'query', required: false, description: t('`1`：返回草稿', '`1`: the draft'), schema: str({ enum: ['1'] }) },
    Filter: {
      name: 'filter', in: 'query', required: false,
      description: t('按字段键写的 json-logic（URL 编码），如 {"==":[{"var":"status"},"open"]}；未知字段或运算符返回 bad_request', 'json-logic over field keys (URL-encoded), e.g. {"==":[{"var":"status"},"open"]}; an unknown field or operator is bad_request'),
      schema: str(),
    },
    Sort: { name: 'sort', in: 'query', required: false, description: t('逗号分隔的字段键，`-` 表示降序', 'Comma-separated field keys, `-` for descending'), schema: str({ examples: ['-_createdAt'] }) },
    Page: { name: 'page', in: 'query', required: false, schema: int({ minimum: 1, default: 1 }) },
    PageSize: { name: 'pageSize', in: 'query', required: false, schema: int({ minimum: 1, maximum: 500 }) },
    Q: { name: 'q', in: 'query', required: false, description: t('搜索表单的文本字段', "Searches the form's text fields"), schema: str() },
    After: { name: 'after', in: 'query', required: false, description: t('键集分页：上一页的 next 游标（此时忽略 page）', "Keyset paging: the previous page's `next` cursor (page is then ignored)"), schema: str({ maxLength: 4000 }) },
    Count: { name: 'count', in: 'query', required: false, description: t('exact：精确计数；默认计到上限（10000）为止', 'exact: count every match; by default counting stops at the cap (10,000)'), schema: str({ enum: ['exact', 'capped'] }) },
    ExportFormat: { name: 'format', in: 'query', required: false, schema: str({ enum: ['csv', 'xlsx'], default: 'csv' }) },
    TaskStatus: {
      name: 'status', in: 'query', required: false,
      description: t('`open` 待办、`done` 已办、`cc` 抄送我的', '`open`, `done`, or `cc`: copies sent to the caller'),
      schema: str({ enum: ['open', 'done', 'cc'], default: 'open' }),
    },
    ...(described('packs') ? { Modules: { name: 'modules', in: 'query', required: false, description: t('逗号分隔的模块', 'Comma-separated modules'), schema: str() } } : {}),
    DepartmentId: { name: 'id', in: 'path', required: true, description: t('部门 id', 'Department id'), schema: int({ minimum: 1 }) },
    TokenId: { name: 'id', in: 'path', required: true, description: t('API 令牌 id', 'API token id'), schema: int({ minimum: 1 }) },
    InstanceId: { name: 'id', in: 'path', required: true, description: t('流程实例 id', 'Workflow instance id'), schema: int({ minimum: 1 }) },
    NotificationId: { name: 'id', in: 'path', required: true, schema: int({ minimum: 1 }) },
    RunId: { name: 'id', in: 'path', required: true, description: t('失败的运行（流程实例 id）', 'A failed run (workflow instance id)'), schema: int({ minimum: 1 }) },
    DeliveryId: { name: 'id', in: 'path', required: true, schema: str({ format: 'uuid' }) },
    WorkflowKey: { name: 'workflow', in: 'path', required: true, description: t('触发器为 `webhook` 的已发布流程', 'A published workflow whose trigger is `webhook`'), schema: str({ pattern: KEY_PATTERN }) },
    WorkflowFilter: { name: 'workflow', in: 'query', required: false, description: t('流程键', 'Workflow key'), schema: str({ maxLength: 48 }) },
    IdempotencyKey: {
      name: 'Idempotency-Key', in: 'header', required: false,
      description: t(
        '1–128 个可打印 ASCII 字符。同一调用者用同一个键再次调用时返回它启动的实例（200）；请求体不同则返回 conflict',
        '1–128 printable ASCII characters. The same caller with the same key again gets the instance it started (200); a different body is `conflict`',
      ),
      schema: str({ pattern: '^[\\x21-\\x7e]{1,128}$' }),
    },
  };
  if (!described('reports')) delete parameters.ReportKey;
  if (!described('dashboards')) delete parameters.DashboardKey;
  if (!described('recordsExportImport')) delete parameters.ExportFormat;

  // ----- responses ----------------------------------------------------------------------------
  const responses: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(ERROR_RESPONSES)) {
    responses[name] = {
      description: t(r.zh, r.en) + ' — ' + r.codes.map((c) => '`' + c + '`').join(', '),
      content: {
        'application/json': {
          schema: ref('Error'),
          example: { error: { code: r.codes[0], message: t(r.zh, r.en).split(/[（(]/)[0]!.trim(), ...(r.codes[0] === 'validation' ? { fields: { field_key: ['…'] } } : {}) } },
        },
      },
    };
  }

  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  const fileContent = {
    'text/csv': { schema: str() },
    [XLSX]: { schema: str({ format: 'binary', contentMediaType: XLSX }) },
  };
  const listParams = [paramRef('Filter'), paramRef('Sort'), paramRef('Page'), paramRef('PageSize'), paramRef('Q'), paramRef('After'), paramRef('Count')];

  // ----- session, users, metadata -------------------------------------------------------------
  path('/api/health', {
    get: op({ tag: 'system', id: 'getHealth', summary: ['健康检查', 'Health check'], auth: false, responses: { 200: ok('OK', ref('Health')) } }),
  });
  path('/api/auth/login', {
    post: op({
      tag: 'auth', id: 'login', summary: ['登录', 'Log in'], auth: false,
      body: { content: json(ref('LoginRequest')) },
      responses: { 200: ok(t('令牌和用户', 'The token and the user'), ref('LoginResponse')) },
      errors: ['BadRequest', 'Unauthenticated', 'Validation'],
    }),
  });
  path('/api/auth/me', {
    get: op({ tag: 'auth', id: 'getMe', summary: ['当前用户', 'The current user'], responses: { 200: ok(t('当前用户', 'The current user'), ref('User')) } }),
  });
  path('/api/auth/logout', {
    post: op({ tag: 'auth', id: 'logout', summary: ['退出登录（令牌失效）', 'Log out (revokes the token)'], responses: { 204: ok(t('已退出', 'Logged out')) } }),
  });
  path('/api/users', {
    get: op({ tag: 'users', id: 'listUsers', summary: ['用户列表（仅管理员）', 'List users (administrators only)'], responses: { 200: ok(t('用户', 'Users'), arr(ref('User'))) } }),
    post: op({
      tag: 'users', id: 'createUser', summary: ['新建用户（仅管理员）', 'Create a user (administrators only)'],
      description: t('`service: true` 建服务账号：没有密码，不能登录，由 API 令牌代表它', '`service: true` makes a service user: no password, cannot sign in; API tokens act as it'),
      body: { content: json(ref('UserCreate')) },
      responses: { 201: ok(t('新用户', 'The user'), ref('User')) },
      errors: ['BadRequest', 'Conflict', 'Validation'],
    }),
  });
  path('/api/users/{id}', {
    parameters: [paramRef('UserId')],
    patch: op({
      tag: 'users', id: 'updateUser', summary: ['修改用户（角色、部门、停用、密码、邮箱；仅管理员）', 'Update a user (roles, department, disabled, password, email; administrators only)'],
      body: { content: json(ref('UserUpdate')) },
      responses: { 200: ok(t('用户', 'The user'), ref('User')) },
      errors: ['BadRequest', 'NotFound', 'Validation'],
    }),
  });
  path('/api/departments', {
    get: op({ tag: 'departments', id: 'listDepartments', summary: ['部门树（所有登录用户）', 'The department tree (everyone signed in)'], responses: { 200: ok(t('部门', 'Departments'), arr(ref('Department'))) } }),
    post: op({
      tag: 'departments', id: 'createDepartment', summary: ['新建部门（仅管理员）', 'Create a department (administrators only)'],
      body: { content: json(ref('DepartmentCreate')) },
      responses: { 201: ok(t('新部门', 'The department'), ref('Department')) },
      errors: ['BadRequest', 'NotFound', 'PayloadTooLarge', 'Validation'],
    }),
  });
  path('/api/departments/{id}', {
    parameters: [paramRef('DepartmentId')],
    patch: op({
      tag: 'departments', id: 'updateDepartment', summary: ['修改部门（仅管理员）', 'Update a department (administrators only)'],
      body: { content: json(ref('DepartmentUpdate')) },
      responses: { 200: ok(t('部门', 'The department'), ref('Department')) },
      errors: ['BadRequest', 'NotFound', 'PayloadTooLarge', 'Validation'],
    }),
    delete: op({
      tag: 'departments', id: 'deleteDepartment', summary: ['删除部门（仅管理员）', 'Delete a department (administrators only)'],
      description: t('还有子部门或成员时返回 conflict', '`conflict` while it has sub-departments or members'),
      responses: { 204: ok(t('已删除', 'Deleted')) },
      errors: ['BadRequest', 'NotFound', 'Conflict'],
    }),
  });
  path('/api/tokens', {
    get: op({ tag: 'admin', id: 'listApiTokens', summary: ['API 令牌（仅管理员）', 'API tokens (administrators only)'], description: t('最新的在前，不含令牌本身', 'Newest first, without the secrets'), responses: { 200: ok(t('API 令牌', 'API tokens'), arr(ref('ApiToken'))) } }),
    post: op({
      tag: 'admin', id: 'createApiToken', summary: ['为服务账号新建 API 令牌（仅管理员）', 'Create an API token for a service user (administrators only)'],
      description: t('令牌只在此响应中出现一次；它的 scopes 收窄服务账号的角色', "The token appears in this response only; its scopes narrow the service user's roles"),
      body: { content: json(ref('ApiTokenCreate')) },
      responses: { 201: ok(t('新令牌', 'The token'), ref('ApiTokenCreated')) },
      errors: ['BadRequest', 'PayloadTooLarge', 'Validation'],
    }),
  });
  path('/api/tokens/{id}', {
    parameters: [paramRef('TokenId')],
    delete: op({
      tag: 'admin', id: 'revokeApiToken', summary: ['吊销 API 令牌（仅管理员）', 'Revoke an API token (administrators only)'],
      responses: { 204: ok(t('已吊销（或早已吊销）', 'Revoked (or already was)')) },
      errors: ['BadRequest', 'NotFound'],
    }),
  });
  path('/api/audit/security', {
    get: op({
      tag: 'admin', id: 'listSecurityLog', summary: ['安全日志（仅管理员）', 'The security log (administrators only)'],
      description: t('只追加的日志：登录、登录失败、令牌、用户、部门和角色的变更、发布、模板包安装', 'The append-only log of logins, failed logins, tokens, user, department and role changes, publishes and pack installs'),
      parameters: [
        { name: 'event', in: 'query', required: false, description: t('只看这种事件', 'Only this event'), schema: str({ pattern: '^[a-z_]*$', maxLength: 48, examples: [...SECURITY_EVENTS] }) },
        paramRef('Page'),
        { name: 'pageSize', in: 'query', required: false, schema: int({ minimum: 1, maximum: 500, default: 50 }) },
      ],
      responses: { 200: ok(t('一页日志', 'A page of entries'), ref('SecurityPage')) },
      errors: ['BadRequest'],
    }),
  });
  {
    const backupEntry = obj({
    file: str(), takenAt: str({ format: 'date-time' }), due: str({ format: 'date-time' }), dialect: str({ enum: ['sqlite', 'pg'] }),
    schema: str(), bytes: int(), status: str({ enum: ['verified', 'failed'] }), tables: int(), rows: int(),
    error: str(), verifyError: str(), exists: { type: 'boolean' },
  }, ['file', 'takenAt', 'dialect', 'status', 'exists']);
    path('/api/admin/backups', {
      get: op({
        tag: 'admin', id: 'backupStatus', summary: ['备份状态（仅管理员）', 'Scheduled backups (administrators only)'],
        description: t('定时备份：计划、下次时间、最近一次（是否已验证）、备份目录中记录的备份（最新在前）', 'Scheduled backups: the schedule, the next due time, the last backup and whether it was verified, the backups recorded in the backup folder (newest first)'),
        responses: {
          200: ok(t('备份状态', 'The backup status'), obj({
            configured: { type: 'boolean' }, schedule: nullable(str()), dir: nullable(str()), nextDue: nullable(str({ format: 'date-time' })),
            last: nullable(backupEntry), lastVerified: nullable(backupEntry), backups: arr(backupEntry),
          }, ['configured', 'schedule', 'dir', 'nextDue', 'last', 'lastVerified', 'backups'])),
        },
      }),
    });
  }

  const metaDoc: JsonSchema = { anyOf: [ref('FormDocument'), ref('MetaDocument')] };
  path('/api/meta/{kind}', {
    parameters: [paramRef('Kind')],
    get: op({ tag: 'meta', id: 'listMeta', summary: ['列出某种元数据', 'List the documents of a kind'], responses: { 200: ok(t('文档摘要', 'Document summaries'), arr(ref('MetaSummary'))) }, errors: ['BadRequest'] }),
  });
  path('/api/meta/{kind}/{key}', {
    parameters: [paramRef('Kind'), paramRef('MetaKey')],
    get: op({
      tag: 'meta', id: 'getMeta', summary: ['已发布的文档（`?draft=1` 取草稿）', 'The published document (`?draft=1`: the draft)'],
      parameters: [paramRef('Draft')],
      responses: { 200: ok(t('文档', 'The document'), metaDoc) },
      errors: ['BadRequest', 'NotFound'],
    }),
    put: op({
      tag: 'meta', id: 'putMetaDraft', summary: ['保存草稿', 'Save the draft'],
      description: t('422 的 `fields` 以 JSON 路径列出元模式拒绝之处', '422 names the JSON paths the metaschema rejects (in `fields`)'),
      body: { content: json(metaDoc) },
      responses: { 200: ok(t('已保存的草稿', 'The saved draft'), metaDoc) },
      errors: ['BadRequest', 'PayloadTooLarge', 'Validation'],
    }),
  });
  // Served as /api/meta/:kind/:key/plan; only forms have a plan (another kind is bad_request).
  path('/api/meta/{kind}/{key}/plan', {
    parameters: [
      { name: 'kind', in: 'path', required: true, description: t('只有表单有发布计划', 'Only forms have a plan'), schema: str({ enum: ['forms'] }) },
      paramRef('MetaKey'),
    ],
    post: op({
      tag: 'meta', id: 'planForm', summary: ['预览草稿的发布计划', "Preview the draft's publish plan"],
      responses: { 200: ok(t('计划步骤', 'The plan'), ref('Plan')) },
      errors: ['BadRequest', 'NotFound', 'Validation'],
    }),
  });
  path('/api/meta/{kind}/{key}/publish', {
    parameters: [paramRef('Kind'), paramRef('MetaKey')],
    post: op({
      tag: 'meta', id: 'publishMeta', summary: ['发布草稿', 'Publish the draft'],
      description: t('会丢失数据的步骤需要 `confirmDataLoss`，否则返回 `data_loss`（409）', 'A step that would lose data needs `confirmDataLoss`, else `data_loss` (409)'),
      body: { content: json(ref('PublishRequest')), required: false },
      responses: { 200: ok(t('新版本与执行的步骤', 'The new revision and the steps run'), ref('PublishResult')) },
      errors: ['BadRequest', 'NotFound', 'Conflict', 'Validation'],
    }),
  });
  path('/api/meta/forms/{key}/access', {
    parameters: [paramRef('MetaKey')],
    get: op({
      tag: 'meta', id: 'getFormAccess', summary: ['我对此表单的权限', 'What the caller may do with this form'],
      responses: {
        200: ok(t('操作与只读、脱敏字段', 'Actions, and the read-only and masked fields'), obj({
          form: str(), actions: obj(Object.fromEntries(['create', 'read', 'update', 'delete', 'export', 'import'].map((a) => [a, { type: 'boolean' }])), ['create', 'read', 'update', 'delete', 'export', 'import']),
          readOnly: arr(str()), masked: arr(str()),
        }, ['form', 'actions', 'readOnly', 'masked'])),
      },
      errors: ['NotFound'],
    }),
  });
  path('/api/meta/{kind}/{key}/revisions', {
    parameters: [paramRef('Kind'), paramRef('MetaKey')],
    get: op({ tag: 'meta', id: 'listMetaRevisions', summary: ['已发布的版本', 'Published revisions'], responses: { 200: ok(t('版本', 'Revisions'), arr(ref('MetaRevision'))) }, errors: ['NotFound'] }),
  });
  parameters.Revision = { name: 'revision', in: 'path', required: true, schema: int({ minimum: 1 }) };
  path('/api/meta/{kind}/{key}/revisions/{revision}', {
    parameters: [paramRef('Kind'), paramRef('MetaKey'), paramRef('Revision')],
    get: op({ tag: 'meta', id: 'getMetaRevision', summary: ['某个已发布版本的文档', 'The document as published in a revision'], responses: { 200: ok(t('文档', 'The document'), metaDoc) }, errors: ['BadRequest', 'NotFound'] }),
  });
  path('/api/meta/{kind}/{key}/diff', {
    parameters: [paramRef('Kind'), paramRef('MetaKey')],
    get: op({
      tag: 'meta', id: 'diffMeta', summary: ['两个版本之间的差异', 'The changes between two revisions'],
      parameters: [
        { name: 'from', in: 'query', required: true, schema: int({ minimum: 1 }) },
        { name: 'to', in: 'query', required: true, schema: int({ minimum: 1 }) },
      ],
      responses: { 200: ok(t('改动', 'The changes'), arr(ref('DocChange'))) },
      errors: ['BadRequest', 'NotFound'],
    }),
  });
  path('/api/meta/{kind}/{key}/rollback', {
    parameters: [paramRef('Kind'), paramRef('MetaKey')],
    post: op({
      tag: 'meta', id: 'rollbackMeta', summary: ['回滚：把旧版本重新发布为新版本', 'Roll back: publish an old revision again as a new one'],
      body: { content: json(ref('RollbackRequest')) },
      responses: { 200: ok(t('新版本与执行的步骤', 'The new revision and the steps run'), ref('PublishResult')) },
      errors: ['BadRequest', 'NotFound', 'Conflict', 'Validation'],
    }),
  });

  // The workflow designer's helpers (http/workflow-designer-router.ts), mounted before /api/meta/{kind}/{key}.
  const workflowNodeType = obj({
    type: str(), label: obj({ 'zh-CN': str(), en: str() }), group: str({ enum: ['flow', 'human', 'data', 'message', 'time'] }),
    configSchema: { type: 'object', description: t('节点设置的 JSON Schema', "The JSON Schema of the node's settings") },
    inputs: str({ enum: ['none', 'one', 'many'] }), outputs: str({ enum: ['none', 'one', 'many'] }),
    branches: arr(str(), { description: t('空设置时的分支（随设置变化的以 check 为准）', 'Branches with empty settings (check answers them for real settings)') }),
    waits: { type: 'boolean' },
  }, ['type', 'label', 'group', 'configSchema', 'inputs', 'outputs', 'branches', 'waits']);
  const byId = (description: string) => ({ type: 'object', description, additionalProperties: arr(str()) });
  path('/api/meta/workflows/node-types', {
    get: op({
      tag: 'meta', id: 'listWorkflowNodeTypes', summary: ['流程节点类型（设计器的节点面板）', "Workflow node types (the designer's palette)"],
      description: t('可管理元数据的用户可用', 'For users who may manage metadata'),
      responses: { 200: ok(t('节点类型', 'Node types'), arr(workflowNodeType)) },
    }),
  });
  path('/api/meta/workflows/trigger-types', {
    get: op({
      tag: 'meta', id: 'listWorkflowTriggerTypes', summary: ['流程触发器类型', 'Workflow trigger types'],
      responses: {
        200: ok(t('触发器类型', 'Trigger types'), arr(obj({
          type: str(), label: obj({ 'zh-CN': str(), en: str() }), configSchema: { type: 'object' }, needsForm: { type: 'boolean' },
        }, ['type', 'label', 'configSchema', 'needsForm']))),
      },
    }),
  });
  path('/api/meta/workflows/{key}/check', {
    parameters: [paramRef('MetaKey')],
    post: op({
      tag: 'meta', id: 'checkWorkflow', summary: ['检查流程图（不保存）', 'Check a workflow graph (nothing is saved)'],
      description: t(
        '请求体为流程文档。回答其问题：按 JSON 路径（与保存草稿的 422 相同），按节点 id、按连线 id 和流程整体；以及每个节点按其设置的分支',
        "The body is a workflow document. Answers its problems by JSON path (as a 422 from saving the draft has them), by node id, by edge id and for the workflow as a whole; and each node's branches for its settings",
      ),
      body: { content: json({ type: 'object' }) },
      responses: {
        200: ok(t('检查结果', 'The check'), obj({
          ok: { type: 'boolean' }, fields: byId(t('JSON 路径 → 问题', 'JSON path → problems')),
          errors: byId(t('节点 id → 问题', 'Node id → problems')), edges: byId(t('连线 id → 问题', 'Edge id → problems')),
          workflow: arr(str()), branches: byId(t('节点 id → 分支', 'Node id → branches')),
        }, ['ok', 'fields', 'errors', 'edges', 'workflow', 'branches'])),
      },
      errors: ['BadRequest', 'NotFound', 'PayloadTooLarge'],
    }),
  });
  path('/api/meta/workflows/{key}/dry-run', {
    parameters: [paramRef('MetaKey')],
    post: op({
      tag: 'meta', id: 'dryRunWorkflow', summary: ['按一条记录试运行流程（无副作用）', 'Dry-run a workflow on one record (no side effects)'],
      description: t(
        '求触发条件，按记录数据走流程图：审批默认通过（`decisions` 可指定驳回），等待直接通过，数据、消息和 Webhook 节点只说明会做什么。不写入任何实例、任务、作业或记录。`document` 可带上未保存的文档，否则用草稿（`draft: true`）或已发布的版本。记录按调用者的权限读取',
        "Evaluates the trigger condition and walks the graph on the record's data: approvals are taken as approved (`decisions` may reject one), waits pass, data, message and webhook nodes say what they would do. No instance, task, job or record is written. `document` may carry an unsaved document; else the draft (`draft: true`) or the published one. The record is read as the caller may read it",
      ),
      body: {
        content: json(obj({
          record: int({ minimum: 1 }), draft: { type: 'boolean' },
          decisions: { type: 'object', additionalProperties: str({ enum: ['approve', 'reject'] }) },
          document: { type: 'object' },
        }, ['record'])),
      },
      responses: {
        200: ok(t('经过的节点', 'The path'), obj({
          workflow: str(), form: str(), record: int(), triggered: { type: 'boolean' }, trigger: str(),
          outcome: str({ enum: ['completed', 'rejected', 'cancelled', 'loop', 'stuck'] }),
          changes: { type: 'object' },
          path: arr(obj({ node: str(), type: str(), label: ref('Label'), branch: str(), edge: str(), note: str() }, ['node', 'type', 'note'])),
        }, ['workflow', 'form', 'record', 'triggered', 'trigger', 'outcome', 'changes', 'path'])),
      },
      errors: ['BadRequest', 'NotFound', 'Validation'],
    }),
  });

  // ----- field schemas ----------------------------------------------------------------------

  /**
   * The object schema of a record's fields. `out`: as read (every field nullable and optional,
   * computed ones readOnly, plus system properties); `in`: a create body (writable fields,
   * `required` ones required and non-null); `patch`: an update body (writable fields, all
   * optional, plus `_version`).
   */
  function recordObject(fields: FieldDef[], mode: 'out' | 'in' | 'patch'): JsonSchema {
    const props: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const system = mode === 'out' ? systemProps() : {};
    if (mode === 'out') props.id = system.id!;
    for (const f of fields) {
      if (f.deleted) continue;
      if (mode !== 'out' && isComputed(f)) continue;
      if (f.key === 'id') continue; // a system property; the metaschema should not let a field take it
      const mustHave = mode === 'in' && isRequiredOnCreate(f);
      const nonNull = mustHave || (mode === 'patch' && f.required === true && f.rules?.visible === undefined);
      props[f.key] = fieldSchema(f, mode, nonNull);
      if (mustHave) required.push(f.key);
    }
    if (mode === 'out') {
      for (const [k, v] of Object.entries(system)) if (k !== 'id') props[k] = v;
      required.push(...SYSTEM_REQUIRED);
    }
    if (mode === 'patch') {
      props._version = VERSION_PROP;
      required.push('_version');
    }
    return { type: 'object', ...(required.length ? { required } : {}), properties: props };
  }

  function isRequiredOnCreate(f: FieldDef): boolean {
    return f.required === true && f.default === undefined && f.rules?.visible === undefined;
  }

  function fieldSchema(f: FieldDef, mode: 'out' | 'in' | 'patch', nonNull: boolean): JsonSchema {
    let s: JsonSchema;
    if (f.type === 'subtable') {
      const rowFields = (f.fields ?? []).filter((c) => !c.deleted);
      const rowMode = mode === 'out' ? 'out' : 'in';
      const row = rowObject(rowFields, rowMode);
      s = { ...fieldTypeSpec('subtable').valueSchema(f), items: row };
    } else {
      s = structuredClone(fieldTypeSpec(f.type).valueSchema(f));
    }
    // An option list that is still empty would forbid every value: leave the enum out.
    dropEmptyEnums(s);
    // `multipleOf: 0.01` rejects most decimals in binary floating point (19.99 / 0.01 is not an
    // integer) in validators without a precision option, so clients would refuse real values:
    // the two places are stated in the description instead.
    if (f.type === 'money') delete s.multipleOf;
    if (!nonNull) s = nullable(s);
    const title = label(f.label);
    const help = label(f.help);
    const notes: string[] = [];
    if (help) notes.push(help);
    if (f.type === 'relation' && f.relation?.form) notes.push(`${t('关联记录的 id，表单', 'The id of a record of form')} \`${f.relation.form}\``);
    if (f.type === 'money') notes.push(t('金额，最多两位小数', 'Money: a decimal number, at most two places'));
    if ((f.type === 'user' || f.type === 'department') && !f.multiple) notes.push(f.type === 'user' ? t('用户 id', 'User id') : t('部门 id', 'Department id'));
    if (f.options?.length && (f.type === 'select' || f.type === 'multiselect' || f.type === 'tags')) {
      notes.push(f.options.map((o) => `\`${o.key}\`: ${label(o.label)}`).join('; '));
    }
    if (isComputed(f)) notes.push(t('由服务器计算', 'Computed by the server'));
    const out: JsonSchema = { ...(title ? { title } : {}), ...(notes.length ? { description: notes.join('\n\n') } : {}), ...s };
    out['x-formwork-type'] = f.type;
    if (mode === 'out' && isComputed(f)) out.readOnly = true;
    if (mode === 'in' && f.default !== undefined && !isRuleDefault(f.default)) out.default = structuredClone(f.default);
    return out;
  }

  function rowObject(fields: FieldDef[], mode: 'out' | 'in'): JsonSchema {
    const props: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const f of fields) {
      if (mode === 'in' && isComputed(f)) continue;
      const mustHave = mode === 'in' && isRequiredOnCreate(f);
      props[f.key] = fieldSchema(f, mode, mustHave);
      if (mustHave) required.push(f.key);
    }
    return { type: 'object', ...(required.length ? { required } : {}), properties: props };
  }

  // ----- records: generic paths, then one set per form ----------------------------------------
  interface RecordSchemas { record: JsonSchema; input: JsonSchema; patch: JsonSchema; page: JsonSchema }
  const recordPaths = (base: string, tag: string, s: RecordSchemas, idPart: string, pathParams: unknown[], what: string, printKeys?: string[]) => {
    const idParams = [...pathParams, paramRef('RecordId')];
    path(base, {
      ...(pathParams.length ? { parameters: pathParams } : {}),
      get: op({
        tag, id: `list${idPart}Records`, summary: ['查询记录', 'List records'], description: what,
        parameters: listParams, responses: { 200: ok(t('一页记录', 'A page of records'), s.page) }, errors: ['BadRequest', 'NotFound'],
      }),
      post: op({
        tag, id: `create${idPart}Record`, summary: ['新建记录', 'Create a record'],
        body: { content: json(s.input) },
        responses: { 201: ok(t('新记录', 'The record'), s.record) },
        errors: ['BadRequest', 'NotFound', 'Conflict', 'PayloadTooLarge', 'Validation'],
      }),
    });
    if (described('recordsExportImport')) {
      path(`${base}/export`, {
        ...(pathParams.length ? { parameters: pathParams } : {}),
        get: op({
          tag, id: `export${idPart}Records`, summary: ['导出记录（CSV 或 XLSX）', 'Export records (CSV or XLSX)'],
          description: t(
            '需要 read 和 export 权限；按调用者的行范围与筛选导出，隐藏字段不出现，脱敏字段为脱敏值。CSV 为带 BOM 的 UTF-8；以 = + - @ 开头的文本前加 \'。表头为中文标签（`lang=en` 为英文）',
            "Needs the read and export rights; the caller's row scope and filter apply, hidden fields are absent and masked ones masked. CSV is UTF-8 with a BOM; text starting with = + - @ gets a leading '. Headers are the zh-CN labels (`lang=en`: English)",
          ),
          parameters: [paramRef('ExportFormat'), paramRef('Filter'), { name: 'lang', in: 'query', required: false, schema: str({ enum: ['zh-CN', 'en'], default: 'zh-CN' }) }],
          responses: { 200: { description: t('导出的文件（附件）', 'The file (an attachment)'), content: fileContent } },
          errors: ['BadRequest', 'NotFound'],
        }),
      });
      path(`${base}/import`, {
        ...(pathParams.length ? { parameters: pathParams } : {}),
        post: op({
          tag, id: `import${idPart}Records`, summary: ['导入记录（CSV 或 XLSX）', 'Import records (CSV or XLSX)'],
          description: t(
            '请求体就是文件本身（不是 multipart）。需要 create 和 import 权限。表头按字段键、中文或英文标签自动对应，`mapping` 可指定。任务在后台运行：202 返回任务，进度见 `GET /api/imports/{id}`。每条新记录都会触发自动化',
            'The body is the file itself (not multipart). Needs the create and import rights. Headers match field keys and zh-CN/English labels; `mapping` overrides. The job runs in the background: 202 with the job, progress at `GET /api/imports/{id}`. Each created record fires its automations',
          ),
          parameters: [
            { name: 'dryRun', in: 'query', required: false, description: t('`1`：只校验，不写入', '`1`: check every row, write nothing'), schema: str({ enum: ['0', '1'] }) },
            { name: 'mode', in: 'query', required: false, description: t('`all_or_nothing`：有一行不合格则都不写入；`valid_only`：写入合格的行', '`all_or_nothing`: nothing is written if any row fails; `valid_only`: the valid rows are written'), schema: str({ enum: ['all_or_nothing', 'valid_only'], default: 'all_or_nothing' }) },
            { name: 'mapping', in: 'query', required: false, description: t('URL 编码的 JSON `{"表头": "字段键" | null}`', 'URL-encoded JSON `{"header": "field_key" | null}`'), schema: str() },
            { name: 'wait', in: 'query', required: false, description: t('`1`：等任务结束，200 返回结果', '`1`: wait for the job to end and answer 200 with it'), schema: str({ enum: ['0', '1'] }) },
            { name: 'fileName', in: 'query', required: false, schema: str({ maxLength: 255 }) },
          ],
          body: { content: fileContent },
          responses: {
            202: ok(t('已排队的导入任务', 'The import, queued'), ref('ImportResult')),
            200: ok(t('结束的导入任务（wait=1）', 'The finished import (wait=1)'), ref('ImportResult')),
          },
          errors: ['BadRequest', 'NotFound', 'PayloadTooLarge'],
        }),
      });
    }
    path(`${base}/{id}`, {
      parameters: idParams,
      get: op({ tag, id: `get${idPart}Record`, summary: ['读取记录', 'Get a record'], responses: { 200: ok(t('记录', 'The record'), s.record) }, errors: ['NotFound'] }),
      patch: op({
        tag, id: `update${idPart}Record`, summary: ['修改记录', 'Update a record'],
        description: t('只需改动的字段和 `_version`；`_version` 过期返回 conflict', 'Send the changed fields and `_version`; a stale `_version` is `conflict`'),
        body: { content: json(s.patch) },
        responses: { 200: ok(t('记录', 'The record'), s.record) },
        errors: ['BadRequest', 'NotFound', 'Conflict', 'PayloadTooLarge', 'Validation'],
      }),
      delete: op({
        tag, id: `delete${idPart}Record`, summary: ['删除记录', 'Delete a record'],
        parameters: [{ name: '_version', in: 'query', required: false, description: t('给出时，版本过期返回 conflict', 'When given, a stale version is `conflict`'), schema: int({ minimum: 1 }) }],
        responses: { 204: ok(t('已删除', 'Deleted')) },
        errors: ['BadRequest', 'NotFound', 'Conflict'],
      }),
    });
    path(`${base}/prints`, {
      ...(pathParams.length ? { parameters: pathParams } : {}),
      get: op({
        tag, id: `list${idPart}PrintTemplates`, summary: ['打印模板列表', 'The print templates'],
        responses: { 200: ok(t('打印模板', 'Print templates'), arr(ref('PrintTemplateInfo'))) }, errors: ['NotFound'],
      }),
    });
    path(`${base}/{id}/print/{template}`, {
      parameters: [...idParams, printKeys
        ? { name: 'template', in: 'path', required: true, description: t('表单的打印模板键', "A print template's key on the form"), schema: printKeys.length ? str({ enum: printKeys }) : str({ pattern: KEY_PATTERN }) }
        : paramRef('PrintKey')],
      get: op({
        tag, id: `print${idPart}Record`, summary: ['打印记录（HTML 页面）', 'Print a record (an HTML page)'],
        description: t(
          '用表单的打印模板渲染记录，返回完整的 HTML 页面（A4/A5 打印样式）；响应的 Content-Security-Policy 禁止脚本。隐藏字段不出现，脱敏字段显示为脱敏值；无权读取的记录返回 not_found',
          "The record rendered with one of the form's print templates: a whole HTML page with A4/A5 print CSS; the response's Content-Security-Policy forbids scripts. Hidden fields are absent and masked ones masked; a record outside the caller's read scope is not_found",
        ),
        responses: { 200: { description: 'HTML', content: { 'text/html': { schema: str() } } } },
        errors: ['BadRequest', 'NotFound', 'Validation'],
      }),
    });
    path(`${base}/{id}/history`, {
      parameters: idParams,
      get: op({ tag, id: `get${idPart}RecordHistory`, summary: ['记录的修改历史', "The record's history"], responses: { 200: ok(t('历史', 'History'), arr(ref('HistoryEntry'))) }, errors: ['NotFound'] }),
    });
    path(`${base}/{id}/workflow`, {
      parameters: idParams,
      get: op({ tag, id: `get${idPart}RecordWorkflow`, summary: ['记录的流程实例', "The record's workflow instances"], responses: { 200: ok(t('流程实例', 'Workflow instances'), ref('RecordWorkflow')) }, errors: ['NotFound'] }),
    });
    path(`${base}/{id}/actions`, {
      parameters: idParams,
      get: op({
        tag, id: `list${idPart}RecordActions`, summary: ['记录上可用的按钮', "The record's buttons"],
        description: t('条件在记录当前状态下成立的手动流程', 'The manual workflows whose condition holds on the record now'),
        responses: { 200: ok(t('按钮', 'Buttons'), obj({ items: arr(obj({ action: str(), label: str(), workflows: arr(str()) }, ['action', 'label', 'workflows'])) }, ['items'])) },
        errors: ['NotFound'],
      }),
    });
    path(`${base}/{id}/actions/{action}`, {
      parameters: [...idParams, paramRef('ActionKey')],
      post: op({
        tag, id: `run${idPart}RecordAction`, summary: ['启动手动流程', 'Start a manual workflow'],
        description: t('记录当前状态不满足按钮的条件时返回 conflict', "`conflict` when the button's condition does not hold on the record"),
        body: { content: json({ type: 'object', description: t('流程的输入', "The workflow's input"), additionalProperties: true }), required: false },
        responses: { 201: ok(t('启动的流程实例', 'The instances started'), ref('ActionResult')) },
        errors: ['BadRequest', 'NotFound', 'Conflict', 'PayloadTooLarge', 'Validation'],
      }),
    });
  };

  recordPaths('/api/records/{form}', 'records', {
    record: ref('RecordObject'), input: ref('RecordValues'), patch: ref('RecordChanges'), page: ref('RecordPage'),
  }, '', [paramRef('FormKey')], t('任意已发布表单；各表单的具体路径见对应标签', 'Any published form; see each form\'s tag for its concrete paths'));

  const formTags: OpenApiDocument['tags'] = [];
  for (const form of sortedForms) {
    const P = formComponentName(form.key);
    const fields = shownFields(form);
    const title = label(form.label) || form.key;
    const description = label(form.description);

    addSchema(`${P}Record`, { title, ...(description ? { description } : {}), ...recordObject(fields, 'out') });
    addSchema(`${P}Input`, { title: `${title} — ${t('新建', 'create')}`, ...recordObject(fields, 'in') });
    addSchema(`${P}Patch`, { title: `${title} — ${t('修改', 'update')}`, ...recordObject(fields, 'patch') });
    addSchema(`${P}List`, pageOf(ref(`${P}Record`), `${title} — ${t('列表', 'list')}`));

    const tag = `form:${form.key}`;
    formTags.push({ name: tag, description: `${title}${description ? ' — ' + description : ''}`, 'x-displayName': title });
    const searchable = fields.filter((f) => fieldTypeSpec(f.type).searchable).map((f) => f.key);
    const sortable = fields.filter((f) => fieldTypeSpec(f.type).comparable).map((f) => f.key);
    const what = [
      `${t('表单', 'Form')} \`${form.key}\`: ${title}`,
      searchable.length ? `${t('`q` 搜索', '`q` searches')}: ${searchable.join(', ')}` : '',
      sortable.length ? `${t('可排序', 'Sortable')}: ${sortable.join(', ')}` : '',
    ].filter(Boolean).join('\n\n');
    recordPaths(`/api/records/${form.key}`, tag, {
      record: ref(`${P}Record`), input: ref(`${P}Input`), patch: ref(`${P}Patch`), page: ref(`${P}List`),
    }, P, [], what, (form.prints ?? []).map((p) => p.key));
  }

  // ----- workflow and automation -------------------------------------------------------------
  path('/api/tasks', {
    get: op({ tag: 'workflow', id: 'listTasks', summary: ['我的待办、已办或抄送', "The caller's tasks (open, done, or copies sent to them)"], parameters: [paramRef('TaskStatus')], responses: { 200: ok(t('任务', 'Tasks'), ref('TaskPage')) }, errors: ['BadRequest'] }),
  });
  path('/api/tasks/{id}/complete', {
    parameters: [paramRef('TaskId')],
    post: op({
      tag: 'workflow', id: 'completeTask', summary: ['处理任务', 'Complete a task'],
      description: t(
        '任务已不在待办时返回 conflict；修改任务 `editableFields` 以外的字段返回 forbidden',
        '`conflict` when the task is no longer open; `forbidden` for a field outside the task\'s `editableFields`',
      ),
      body: { content: json(ref('TaskCompletion')) },
      responses: { 200: ok(t('任务与流程实例', 'The task and the instance'), ref('TaskCompletionResult')) },
      errors: ['BadRequest', 'NotFound', 'Conflict', 'PayloadTooLarge', 'Validation'],
    }),
  });
  path('/api/workflow-instances/{id}/withdraw', {
    parameters: [paramRef('InstanceId')],
    post: op({
      tag: 'workflow', id: 'withdrawInstance', summary: ['撤回（提交人，尚无人处理时）', 'Withdraw (the submitter, while nobody has acted)'],
      description: t(
        '提交人撤回尚无人处理的申请；管理员可以取消任何运行中的实例。已有人处理或流程已结束时返回 conflict',
        'The submitter takes back a request nobody has acted on; administrators may cancel any running instance. `conflict` once someone has acted or the workflow has ended',
      ),
      responses: { 200: ok(t('已取消的流程实例', 'The cancelled instance'), ref('WorkflowInstance')) },
      errors: ['BadRequest', 'NotFound', 'Conflict'],
    }),
  });
  path('/api/notifications', {
    get: op({
      tag: 'workflow', id: 'listNotifications', summary: ['站内通知', "The caller's in-app notifications"],
      parameters: [{ name: 'unread', in: 'query', required: false, description: t('`1`：只看未读', '`1`: unread ones only'), schema: str({ enum: ['1', 'true'] }) }],
      responses: { 200: ok(t('通知（最新的在前）与未读数', 'Notifications (newest first) and the unread count'), ref('NotificationPage')) },
    }),
  });
  path('/api/notifications/{id}/read', {
    parameters: [paramRef('NotificationId')],
    post: op({ tag: 'workflow', id: 'markNotificationRead', summary: ['标为已读', 'Mark as read'], responses: { 204: ok(t('已读', 'Read')) }, errors: ['BadRequest', 'NotFound'] }),
  });
  path('/api/notifications/read-all', {
    post: op({ tag: 'workflow', id: 'markAllNotificationsRead', summary: ['全部标为已读', 'Mark all as read'], responses: { 204: ok(t('已读', 'Read')) } }),
  });
  path('/api/workflow-runs', {
    get: op({
      tag: 'automation', id: 'listWorkflowRuns', summary: ['自动化运行记录（仅管理员）', 'Automation run history (administrators only)'],
      parameters: [paramRef('WorkflowFilter'), { name: 'status', in: 'query', required: false, schema: str({ enum: [...INSTANCE_STATUSES] }) }],
      responses: { 200: ok(t('运行记录', 'Runs'), ref('WorkflowRunPage')) },
      errors: ['BadRequest'],
    }),
  });
  path('/api/workflow-runs/{id}/retry', {
    parameters: [paramRef('RunId')],
    post: op({
      tag: 'automation', id: 'retryWorkflowRun', summary: ['重试失败的运行（仅管理员）', 'Retry a failed run (administrators only)'],
      description: t('以流程当前发布的版本重新启动；失败的运行保留在记录中。不是失败的运行返回 conflict', "Starts it again on the workflow's current revision; the failed run stays in the history. `conflict` for a run that did not fail"),
      responses: { 201: ok(t('新的流程实例', 'The new instance'), ref('WorkflowInstance')) },
      errors: ['BadRequest', 'NotFound', 'Conflict'],
    }),
  });
  path('/api/hooks/{workflow}', {
    parameters: [paramRef('WorkflowKey')],
    post: op({
      tag: 'automation', id: 'callWebhook', summary: ['入站 Webhook：启动流程', 'Inbound webhook: start a workflow'],
      description: t(
        '管理员的会话，或持有触发器 `config.roles` 之一的用户（会话或 API 令牌）可以调用。请求体按触发器的 Schema 校验（422 的 `fields` 为 JSON 指针）；触发器有表单时须带 `recordId`。',
        "An administrator's session, or a user (session or API token) holding one of the trigger's `config.roles`, may call it. The body is checked against the trigger's schema (422 with JSON Pointers in `fields`); a trigger with a form needs `recordId` in the body.",
      ),
      parameters: [paramRef('IdempotencyKey')],
      body: { content: json({ description: t('任意 JSON（空则为 {}）', 'Any JSON (empty: {})') }), required: false },
      responses: {
        201: ok(t('已启动的流程实例', 'The instance started'), ref('HookResult')),
        200: ok(t('同一个 Idempotency-Key 已启动的实例', 'The instance this Idempotency-Key started before'), ref('HookResult')),
      },
      errors: ['BadRequest', 'NotFound', 'Conflict', 'PayloadTooLarge', 'Validation'],
    }),
  });
  path('/api/webhook-deliveries', {
    get: op({
      tag: 'automation', id: 'listWebhookDeliveries', summary: ['出站 Webhook 投递记录（仅管理员）', 'Outgoing webhook deliveries (administrators only)'],
      parameters: [
        paramRef('WorkflowFilter'),
        { name: 'status', in: 'query', required: false, schema: str({ enum: [...DELIVERY_STATUSES] }) },
        { name: 'instance', in: 'query', required: false, description: t('流程实例 id', 'Workflow instance id'), schema: int({ minimum: 1 }) },
        { name: 'limit', in: 'query', required: false, schema: int({ minimum: 1, maximum: 500 }) },
      ],
      responses: { 200: ok(t('投递记录（最新的在前）', 'Deliveries (newest first)'), ref('WebhookDeliveryPage')) },
      errors: ['BadRequest'],
    }),
  });
  path('/api/webhook-deliveries/{id}', {
    parameters: [paramRef('DeliveryId')],
    get: op({
      tag: 'automation', id: 'getWebhookDelivery', summary: ['一次 Webhook 投递（仅管理员）', 'One webhook delivery (administrators only)'],
      description: t('不含请求体、请求头和签名密钥', 'Never the body, the headers or the signing secret'),
      responses: { 200: ok(t('投递记录', 'The delivery'), ref('WebhookDelivery')) },
      errors: ['NotFound'],
    }),
  });

  if (described('recordsExportImport')) {
    path('/api/imports', {
      get: op({
        tag: 'records', id: 'listImports', summary: ['我最近的导入', 'My recent imports'],
        parameters: [
          { name: 'form', in: 'query', required: false, schema: str({ pattern: KEY_PATTERN }) },
          { name: 'all', in: 'query', required: false, description: t('`1`：所有人的（仅管理员）', "`1`: everyone's (administrators)"), schema: str({ enum: ['0', '1'] }) },
        ],
        responses: { 200: ok(t('导入任务（最新的在前，不含逐行问题）', 'Imports (newest first, without their row issues)'), ref('ImportPage')) },
        errors: ['BadRequest'],
      }),
    });
    path('/api/imports/{id}', {
      parameters: [{ name: 'id', in: 'path', required: true, schema: str({ format: 'uuid' }) }],
      get: op({
        tag: 'records', id: 'getImport', summary: ['导入任务的进度与结果', "An import's progress and result"],
        description: t('创建者或管理员可见', 'For its creator or an administrator'),
        responses: { 200: ok(t('导入任务', 'The import'), ref('ImportResult')) },
        errors: ['NotFound'],
      }),
    });
  }

  // ----- reports, dashboards, packs (PLANNED until their issues mount them) --------------------
  if (described('reports')) {
    path('/api/reports', {
      get: op({ tag: 'reports', id: 'listReports', summary: ['我可以运行的报表', 'The reports the caller may run'], responses: { 200: ok(t('报表', 'Reports'), obj({ items: arr(ref('ReportSummary')) }, ['items'])) } }),
    });
    path('/api/reports/{key}/run', {
      parameters: [paramRef('ReportKey')],
      post: op({
        tag: 'reports', id: 'runReport', summary: ['运行报表', 'Run a report'],
        description: t('调用者的行范围与字段权限在查询内生效：无权查看的字段对应的列不出现。', "The caller's row scope and field permissions apply inside the query: columns over fields they may not see are absent."),
        body: { content: json(ref('ReportRunRequest')), required: false },
        responses: { 200: ok(t('列与行', 'Columns and rows'), ref('ReportResult')) },
        errors: ['BadRequest', 'Forbidden', 'NotFound', 'Validation'],
      }),
    });
    path('/api/reports/preview', {
      post: op({
        tag: 'reports', id: 'previewReport', summary: ['预览未发布的报表定义（元数据管理员）', 'Preview an unpublished report definition (metadata managers)'],
        description: t('先按报表元模式校验（422 指明 JSON 路径），再按调用者的权限运行，最多 500 行（truncated 表示还有更多）。', "Checked with the report metaschema first (422 names JSON paths), then run under the caller's permissions, at most 500 rows (truncated: there are more)."),
        body: { content: json(obj({ definition: { type: 'object', additionalProperties: true }, params: { type: 'object', additionalProperties: true } }, ['definition'])), required: true },
        responses: { 200: ok(t('列与行', 'Columns and rows'), ref('ReportResult')) },
        errors: ['BadRequest', 'Forbidden', 'Validation'],
      }),
    });
  }
  if (described('dashboards')) {
    path('/api/dashboards/preview', {
      post: op({
        tag: 'reports', id: 'previewDashboard', summary: ['预览未发布的仪表板定义（元数据管理员）', 'Preview an unpublished dashboard definition (metadata managers)'],
        body: { content: json(obj({ definition: { type: 'object', additionalProperties: true }, filters: { type: 'object', additionalProperties: true } }, ['definition'])), required: true },
        responses: { 200: ok(t('各组件的结果', "Each widget's result"), ref('DashboardRun')) },
        errors: ['BadRequest', 'Forbidden', 'Validation'],
      }),
    });
    path('/api/dashboards', {
      get: op({ tag: 'reports', id: 'listDashboards', summary: ['我可以查看的仪表板', 'The dashboards the caller may open'], responses: { 200: ok(t('仪表板', 'Dashboards'), obj({ items: arr(obj({ key: str(), label: str(), module: { type: ['string', 'null'] } }, ['key', 'label'])) }, ['items'])) } }),
    });
    path('/api/dashboards/{key}', {
      parameters: [paramRef('DashboardKey')],
      get: op({ tag: 'reports', id: 'getDashboard', summary: ['仪表板的布局与组件', "A dashboard's layout and widgets"], responses: { 200: ok(t('仪表板', 'The dashboard'), ref('Dashboard')) }, errors: ['Forbidden', 'NotFound'] }),
    });
    path('/api/dashboards/{key}/run', {
      parameters: [paramRef('DashboardKey')],
      post: op({
        tag: 'reports', id: 'runDashboard', summary: ['按全局筛选运行仪表板的全部组件', "Run every widget of a dashboard under its global filters"],
        body: { content: json(obj({ filters: { type: 'object', additionalProperties: true } })), required: false },
        responses: { 200: ok(t('各组件的结果', "Each widget's result"), ref('DashboardRun')) },
        errors: ['BadRequest', 'Forbidden', 'NotFound', 'Validation'],
      }),
    });
  }
  path('/api/directory', {
    get: op({
      tag: 'auth', id: 'listColleagues', summary: ['同事名录（转交、加签时选人）', 'Colleagues (to pick whom to transfer a task to)'],
      parameters: [
        { name: 'q', in: 'query', required: false, description: t('按姓名搜索', 'Search by name'), schema: str({ maxLength: 100 }) },
        { name: 'limit', in: 'query', required: false, schema: int({ minimum: 1, maximum: 50, default: 20 }) },
      ],
      responses: { 200: ok(t('启用的人员', 'Enabled people'), obj({ items: arr(obj({ id: int(), displayName: str(), department: { type: ['integer', 'null'] }, departmentName: { type: ['string', 'null'] } }, ['id', 'displayName', 'department', 'departmentName'])) }, ['items'])) },
      errors: ['BadRequest'],
    }),
  });
  // Files of attachment and image fields (files-router.ts, engine/src/files).
  const fileRef = obj(
    { id: str({ description: t('不可猜测的文件编号', 'The unguessable file id') }), name: str(), size: int({ minimum: 0 }), mime: str(), url: str({ description: '/api/files/{id}' }) },
    ['id', 'name', 'size', 'mime', 'url'],
    { description: t('放进附件或图片字段值（数组）里的文件', 'A file as an attachment or image field value (an array) holds it') },
  );
  path('/api/files', {
    post: op({
      tag: 'records', id: 'uploadFile', summary: ['上传附件或图片', 'Upload a file for an attachment or image field'],
      description: t(
        '请求体就是文件本身；`Content-Type` 为文件类型，文件名（URI 编码）放在 `X-File-Name`。调用者须能新建或修改表单 F 的记录并可写字段 K。服务器按文件内容判断类型（PNG、JPEG、GIF、WEBP、PDF、Office 文档、ZIP；纯文本仅当字段的 `accept` 列出时），与声明的类型不符、字段不接受的类型（图片字段从不接受 SVG）为 `validation`；超过字段的 `maxSize`（默认 10 MB，上限 25 MB）为 `payload_too_large`。上传的文件在被记录引用之前只有上传者可读，24 小时内未被引用即删除。',
        'The body is the file itself; `Content-Type` its type, `X-File-Name` its name (URI-encoded). The caller must be allowed to create or update records of form F and to write field K. The server decides the type from the bytes (PNG, JPEG, GIF, WEBP, PDF, Office documents, ZIP; plain text only where the field\'s `accept` names it): a mismatch with the declared type, or a type the field does not accept (an image field never takes SVG), is `validation`; more than the field\'s `maxSize` (default 10 MB, at most 25 MB) is `payload_too_large`. Until a record holds it only the uploader may read the file; one no record holds after 24 hours is removed.',
      ),
      parameters: [
        { name: 'form', in: 'query', required: true, schema: str({ pattern: '^[a-z][a-z0-9_]{0,47}$' }) },
        { name: 'field', in: 'query', required: true, description: t('字段键；子表行的字段为 `子表.字段`', 'The field key; `subtable.key` for a subtable row\'s field'), schema: str({ maxLength: 100 }) },
        { name: 'X-File-Name', in: 'header', required: false, schema: str({ maxLength: 1024 }) },
      ],
      body: { content: { 'application/octet-stream': { schema: str({ format: 'binary' }) }, 'image/*': { schema: str({ format: 'binary' }) }, 'application/pdf': { schema: str({ format: 'binary' }) } } },
      responses: { 201: ok(t('已存储的文件；把它放进字段的值里保存记录', 'The stored file: put it in the field\'s value and save the record'), fileRef) },
      errors: ['BadRequest', 'NotFound', 'PayloadTooLarge', 'Validation'],
    }),
  });
  path('/api/files/{id}', {
    get: op({
      tag: 'records', id: 'getFile', summary: ['下载文件', 'Download a file'],
      description: t(
        '上传者可读尚未被引用的文件；被记录引用后，能读取该记录并看到该字段的人可读。其他人一律 `not_found`。图片以 inline、其他文件以 attachment 返回，带 `X-Content-Type-Options: nosniff` 和 `Content-Security-Policy: default-src \'none\'; sandbox`。',
        'The uploader reads a file no record holds yet; once a record holds it, whoever may read that record and see that field. Everyone else gets `not_found`. Images come inline, other files as attachments, with `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src \'none\'; sandbox`.',
      ),
      parameters: [{ name: 'id', in: 'path', required: true, schema: str({ pattern: '^[A-Za-z0-9_-]{16,64}$' }) }],
      responses: { 200: { description: t('文件内容', 'The file'), content: { 'application/octet-stream': { schema: str({ format: 'binary' }) } } } },
      errors: ['NotFound'],
    }),
  });
  path('/api/public-forms', {
    get: op({ tag: 'meta', id: 'listPublicForms', summary: ['公开表单链接', 'Public form links'], responses: { 200: ok(t('链接', 'Links'), obj({ items: arr(ref('PublicFormLink')) }, ['items'])) } }),
    post: op({
      tag: 'meta', id: 'createPublicForm', summary: ['把表单的部分字段公开为免登录链接', "Publish some of a form's fields at a link that needs no login"],
      body: { content: json(ref('PublicFormInput')), required: true },
      responses: { 201: ok(t('链接', 'The link'), ref('PublicFormLink')) }, errors: ['BadRequest', 'NotFound', 'Validation'],
    }),
  });
  path('/api/public-forms/{id}', {
    parameters: [{ name: 'id', in: 'path', required: true, schema: int() }],
    patch: op({ tag: 'meta', id: 'updatePublicForm', summary: ['修改或停用链接', 'Change or disable a link'], body: { content: json(ref('PublicFormInput')), required: true }, responses: { 200: ok(t('链接', 'The link'), ref('PublicFormLink')) }, errors: ['BadRequest', 'NotFound', 'Validation'] }),
    delete: op({ tag: 'meta', id: 'deletePublicForm', summary: ['删除链接（已提交的记录保留）', 'Delete a link (submitted records stay)'], responses: { 204: { description: t('已删除', 'Deleted') } }, errors: ['BadRequest', 'NotFound'] }),
  });
  path('/api/public/forms/{slug}', {
    parameters: [{ name: 'slug', in: 'path', required: true, schema: str({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }],
    get: op({
      tag: 'records', id: 'getPublicForm', summary: ['公开表单（免登录）', 'A public form (no login)'], auth: false,
      responses: { 200: ok(t('标题与只含公开字段的表单定义', 'The title and a form definition holding only the public fields'), obj({ title: str(), form: { type: 'object', additionalProperties: true } }, ['title', 'form'])) },
      errors: ['NotFound'],
    }),
    post: op({
      tag: 'records', id: 'submitPublicForm', summary: ['提交公开表单（免登录，限频）', 'Submit a public form (no login, rate-limited)'], auth: false,
      description: t('`_hp` 是防机器人的隐藏字段：有值时回答成功但不保存。', '`_hp` is a honeypot: when it holds anything the answer is a success and nothing is kept.'),
      body: { content: json(obj({ values: { type: 'object', additionalProperties: true }, _hp: str() }, ['values'])), required: true },
      responses: { 201: ok(t('已提交', 'Submitted'), obj({ ok: { type: 'boolean' }, message: str() }, ['ok', 'message'])) },
      errors: ['BadRequest', 'NotFound', 'Validation'],
    }),
  });
  path('/api/views', {
    get: op({
      tag: 'records', id: 'listListViews', summary: ['我的列表视图（及管理员共享的视图）', 'My saved list views (and those an administrator shared)'],
      parameters: [{ name: 'form', in: 'query', required: false, description: t('只要此表单的视图', "Only this form's views"), schema: str({ pattern: KEY_PATTERN }) }],
      responses: { 200: ok(t('视图', 'Views'), obj({ items: arr(ref('ListView')) }, ['items'])) }, errors: ['BadRequest', 'NotFound'],
    }),
    post: op({
      tag: 'records', id: 'createListView', summary: ['保存列表视图（筛选、排序、列、每页条数）', 'Save a list view (filter, sort, columns, page size)'],
      body: { content: json(ref('ListViewInput')), required: true },
      responses: { 201: ok(t('视图', 'The view'), ref('ListView')) }, errors: ['BadRequest', 'NotFound', 'Conflict', 'Validation'],
    }),
  });
  path('/api/views/{id}', {
    parameters: [{ name: 'id', in: 'path', required: true, schema: int() }],
    get: op({ tag: 'records', id: 'getListView', summary: ['一个列表视图', 'One list view'], responses: { 200: ok(t('视图', 'The view'), ref('ListView')) }, errors: ['BadRequest', 'NotFound'] }),
    put: op({
      tag: 'records', id: 'updateListView', summary: ['修改、重命名或设为默认（只改给出的项）', 'Change, rename or make default (the properties given)'],
      body: { content: json(ref('ListViewInput')), required: true },
      responses: { 200: ok(t('视图', 'The view'), ref('ListView')) }, errors: ['BadRequest', 'NotFound', 'Conflict', 'Validation'],
    }),
    delete: op({ tag: 'records', id: 'deleteListView', summary: ['删除列表视图', 'Delete a list view'], responses: { 204: { description: t('已删除', 'Deleted') } }, errors: ['BadRequest', 'NotFound'] }),
  });
  if (described('packs')) {
    path('/api/packs', {
      get: op({ tag: 'packs', id: 'listPacks', summary: ['已安装的模板包', 'Installed packs'], responses: { 200: ok(t('模板包', 'Packs'), arr(ref('PackSummary'))) } }),
    });
    path('/api/packs/install', {
      post: op({
        tag: 'packs', id: 'installPack', summary: ['安装模板包', 'Install a pack'],
        body: { content: json(ref('PackBundle')) },
        responses: { 200: ok(t('安装结果', 'What was installed'), ref('PackInstallResult')) },
        errors: ['BadRequest', 'Conflict', 'PayloadTooLarge', 'Validation'],
      }),
    });
    path('/api/packs/upgrade', {
      post: op({
        tag: 'packs', id: 'upgradePack', summary: ['升级模板包（保留本地修改）', 'Upgrade a pack (keeps local changes)'],
        body: { content: json(ref('PackBundle')) },
        responses: { 200: ok(t('合并结果与冲突', 'What merged and what conflicts'), ref('PackUpgradeResult')) },
        errors: ['BadRequest', 'NotFound', 'Conflict', 'PayloadTooLarge', 'Validation'],
      }),
    });
    path('/api/packs/export', {
      get: op({
        tag: 'packs', id: 'exportPack', summary: ['导出模板包（所选模块及其本地修改）', 'Export a pack (the chosen modules, with their local changes)'],
        parameters: [paramRef('Modules'), { name: 'name', in: 'query', required: false, schema: str() }, { name: 'version', in: 'query', required: false, schema: str() }],
        responses: { 200: ok(t('模板包', 'The bundle'), ref('PackBundle')) }, errors: ['BadRequest', 'NotFound', 'Validation'],
      }),
    });
    path('/api/packs/plan', {
      post: op({
        tag: 'packs', id: 'planPack', summary: ['安装计划：新增的文档与表；token 交给安装', "An install plan: the documents and tables it adds; hand its token to install"],
        body: { content: json(ref('PackBundle')) },
        responses: { 200: ok(t('计划', 'The plan'), obj({ pack: {}, token: str(), documents: arr({}), tables: arr({}), dependencies: arr({}) }, ['pack', 'token', 'documents', 'tables', 'dependencies'])) },
        errors: ['BadRequest', 'PayloadTooLarge', 'Validation'],
      }),
    });
    path('/api/packs/{name}', {
      parameters: [{ name: 'name', in: 'path', required: true, schema: str() }],
      get: op({ tag: 'packs', id: 'getPack', summary: ['已安装的模板包：清单、各文档的来源与本地修改数', 'An installed pack: its manifest, and each document\'s provenance and local changes'], responses: { 200: ok(t('模板包', 'The pack'), { type: 'object' }) }, errors: ['NotFound'] }),
      delete: op({
        tag: 'packs', id: 'uninstallPack', summary: ['卸载模板包（有记录时需 confirmDataLoss=1）', 'Uninstall a pack (confirmDataLoss=1 while its forms hold records)'],
        parameters: [{ name: 'confirmDataLoss', in: 'query', required: false, schema: str({ enum: ['1', 'true'] }) }],
        responses: { 200: ok(t('已卸载', 'Uninstalled'), obj({ removed: arr(str()), records: int() }, ['removed', 'records'])) }, errors: ['NotFound', 'Conflict'],
      }),
    });
    path('/api/meta/{kind}/{key}/provenance', {
      parameters: [paramRef('Kind'), paramRef('MetaKey')],
      get: op({
        tag: 'meta', id: 'getMetaProvenance', summary: ['文档来自哪个模板包，以及本地修改（覆盖层）', 'Which pack a document came from, and its local changes (the overlay)'],
        responses: { 200: ok(t('来源', 'Provenance'), obj({ pack: nullable(str()), version: nullable(str()), checksum: nullable(str()), overlay: arr({}) }, ['pack', 'version', 'overlay'])) }, errors: ['NotFound'],
      }),
    });
  }

  // ----- the document itself and its page -------------------------------------------------------
  path('/api/openapi.json', {
    get: op({
      tag: 'system', id: 'getOpenApi', summary: ['本文档（OpenAPI 3.1）', 'This document (OpenAPI 3.1)'], auth: 'optional',
      responses: { 200: ok(t('OpenAPI 文档', 'The OpenAPI document'), { type: 'object' }) },
    }),
  });
  path('/api/docs', {
    get: op({
      tag: 'system', id: 'getDocs', summary: ['API 文档页面', 'The API documentation page'], auth: false,
      responses: { 200: { description: 'HTML', content: { 'text/html': { schema: str() } } } },
    }),
  });

  // ----- the document -------------------------------------------------------------------------
  const usedTags = new Set<string>();
  for (const item of Object.values(paths)) {
    for (const o of Object.values(item)) {
      const tags = (o as { tags?: unknown }).tags;
      if (Array.isArray(tags)) for (const tag of tags) usedTags.add(String(tag));
    }
  }
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: opts.title ?? 'Formwork API',
      version: opts.version,
      description: t(
        '所有接口都在 `/api` 下，JSON 进出（UTF-8）。认证：`Authorization: Bearer TOKEN`（由 `POST /api/auth/login` 取得）。每个错误都是 `{"error":{"code","message","fields"?,"details"?}}`。',
        'Everything is under `/api`, JSON in and out (UTF-8). Authentication: `Authorization: Bearer TOKEN` (from `POST /api/auth/login`). Every error is `{"error":{"code","message","fields"?,"details"?}}`.',
      ),
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    security: [{ [BEARER_SCHEME]: [] }],
    // Only the tags some operation uses (a PLANNED group's tag goes with its paths).
    tags: [
      { name: 'system', description: t('健康检查与文档', 'Health and documentation') },
      { name: 'auth', description: t('会话', 'Session') },
      { name: 'users', description: t('用户', 'Users') },
      { name: 'departments', description: t('部门树', 'The department tree') },
      { name: 'admin', description: t('管理：API 令牌、安全日志', 'Administration: API tokens, the security log') },
      { name: 'meta', description: t('元数据：表单、流程、报表、仪表板、角色', 'Metadata: forms, workflows, reports, dashboards, roles') },
      { name: 'records', description: t('记录（任意表单）', 'Records (any form)') },
      ...formTags,
      { name: 'workflow', description: t('流程：待办、撤回、通知', 'Workflows: tasks, withdrawing, notifications') },
      { name: 'automation', description: t('自动化：运行记录与重试、入站 Webhook、出站投递记录', 'Automation: run history and retry, inbound webhooks, outgoing deliveries') },
      { name: 'reports', description: t('报表与仪表板', 'Reports and dashboards') },
      { name: 'packs', description: t('模板包', 'Template packs') },
    ].filter((tag) => usedTags.has(tag.name)),
    paths,
    components: {
      schemas,
      responses,
      parameters,
      securitySchemes: {
        [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: t('`POST /api/auth/login` 返回的令牌', 'The token `POST /api/auth/login` returns') },
      },
    },
  };
  return doc;
}

function isRuleDefault(v: unknown): boolean {
  return typeof v === 'object' && v !== null && '$rule' in v;
}

function dropEmptyEnums(s: JsonSchema): void {
  if (Array.isArray(s.enum) && s.enum.length === 0) delete s.enum;
  const items = s.items;
  if (items && typeof items === 'object' && !Array.isArray(items)) dropEmptyEnums(items as JsonSchema);
}
