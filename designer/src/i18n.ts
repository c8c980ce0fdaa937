/** The designer's words: zh-CN first (the default), English one click away. */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

const zh = {
  appName: 'Formwork 设计器', otherLanguage: 'English', openRuntime: '打开业务系统',
  login: '登录', logout: '退出登录', username: '用户名', password: '密码', loginFailed: '用户名或密码错误',
  back: '返回', search: '搜索', create: '创建', delete: '删除', yes: '是', no: '否', notFound: '页面不存在',
  moveUp: '上移', moveDown: '下移', requiredMsg: '必填',
  nav: { forms: '表单', workflows: '流程', reports: '报表与仪表盘', roles: '角色权限', packs: '模板包' },
  placeholder: {
    comingSoon: '此设计器正在建设中。',
    workflows: '审批流程与自动化的可视化设计', reports: '报表与仪表盘设计', roles: '角色、数据范围与字段权限', packs: '模板包的安装、升级与导出',
  },
  status: { draft: '草稿', published: '已发布', modified: '有未发布的修改' },
  forms: { new: '新建表单', label: '名称', key: '键名', module: '模块', revision: '版本', status: '状态', description: '说明', titleField: '标题字段' },
  labelZh: '名称（中文）', labelEn: '名称（英文）', labelZhEn: '名称（中文 / 英文）',
  keyHelp: '小写字母开头，只含小写字母、数字和下划线；接口、规则和报表用它指代此项',
  keyPattern: '键名须以小写字母开头，只含小写字母、数字和下划线（最多 48 个字符）', keyTaken: '这个键名已被使用',
  keyLocked: '字段已发布：记录、规则、报表和外部接口都用这个键名引用它，因此不能再修改。可以修改名称。',
  typeLocked: '已发布字段的类型不能在这里修改', formKeyFixed: '表单键名创建后不能修改',
  type: {
    text: '单行文本', textarea: '多行文本', number: '数字', money: '金额', percent: '百分比', date: '日期', datetime: '日期时间',
    boolean: '是/否', select: '单选', multiselect: '多选', tags: '标签', phone: '电话', email: '邮箱', url: '网址',
    relation: '关联记录', subtable: '子表', autonumber: '自动编号', user: '人员', department: '部门', attachment: '附件',
    image: '图片', signature: '手写签名', address: '地址', location: '位置',
  },
  group: { basic: '基础字段', advanced: '高级字段', people: '人员与组织' },
  optionN: '选项{{n}}', rowItem: '项目', addOption: '添加选项',
  optionKeyHelp: '选项键名：记录中保存的值', optionKeyLocked: '此选项已发布，记录中保存的是这个键名，不能修改',
  optionRemovePublished: '已有记录可能使用此选项；删除后这些记录会显示键名',
  addRowField: '添加子表字段',
  paletteHint: '拖到右侧画布，或点击添加到末尾', canvasEmpty: '从左侧拖入字段', dragToMove: '拖动以调整顺序',
  ruleTag: '规则', publishedField: '已发布的字段', deleteField: '删除字段', selectField: '在画布上选择一个字段以编辑它的属性',
  deleteTitle: '删除字段“{{name}}”？',
  deletePublishedBody: '此字段已发布。删除后它将从表单中隐藏，已有数据会保留（软删除），可以随时恢复。如需清除数据，请在“已删除的字段”中勾选“永久删除数据”，发布时需再次确认。',
  deleted: {
    title: '已删除的字段（{{count}}）', help: '这些字段已隐藏，数据仍然保留，可以恢复。勾选“永久删除数据”后，下次发布将清除它们的数据，无法恢复。',
    purge: '永久删除数据', restore: '恢复',
  },
  tab: { field: '字段属性', form: '表单设置', preview: '预览' },
  prop: {
    basic: '基本', key: '键名', type: '类型', required: '必填', sensitive: '敏感信息', unique: '不允许重复', help: '提示文字', default: '默认值',
    options: '选项', allowNewOptions: '允许填写新标签', relation: '关联', relationForm: '关联的表单', subtable: '子表字段',
    validation: '校验', minLength: '最少字数', maxLength: '最多字数', pattern: '格式（正则表达式）', patternMessage: '格式不符时的提示',
    min: '最小值', max: '最大值', layout: '布局', span: '宽度', section: '分组', rules: '显示与必填规则', formula: '计算公式',
  },
  span: { 24: '整行', 12: '1/2', 8: '1/3', 6: '1/4' },
  sectionHelp: '同一分组的字段显示在同一个标题下', sensitiveHelp: '加密保存，部分角色只能看到脱敏后的值',
  patternHelp: '例如 ^1[3-9]\\d{9}$', relationHelp: '只能关联已发布的表单', noDefault: '此类型没有默认值',
  dateValidationHint: '日期范围可用“显示与必填规则”或表单校验规则表达',
  titleFieldHelp: '关联选择和列表标题显示此字段',
  formulaHelp: '设置公式后，此字段由系统计算，不能手工填写。',
  rule: { visible: '何时显示（不设置：总是显示）', required: '何时必填（在“必填”开关之外）', readOnly: '何时只读' },
  logic: {
    visual: '可视化', and: '全部满足', or: '任一满足', field: '字段', number: '数值', addCondition: '添加条件', addTerm: '添加一项',
    tooComplex: '这条规则超出了可视化编辑的范围，请在 JSON 中编辑。',
    ops: { '==': '等于', '!=': '不等于', '>': '大于', '>=': '大于等于', '<': '小于', '<=': '小于等于', contains: '包含', in: '属于', is_empty: '为空', not_empty: '不为空' },
    badJson: 'JSON 格式错误：{{message}}', oneOperation: '每个对象只能有一个运算：{{keys}}', unknownOperation: '未知的运算：{{op}}',
    unknownField: '没有这个字段：{{field}}',
  },
  previewSample: '填入示例数据', previewClear: '清空', previewCheck: '检查规则', previewValid: '示例数据满足所有规则',
  previewHint: '预览使用与运行时相同的编译器与规则：修改值可看到显示、必填和公式的变化。',
  previewStandIn: '（运行时在此选择或上传）',
  undo: '撤销', redo: '重做', saveDraft: '保存草稿', draftSaved: '草稿已保存', unsaved: '未保存',
  unsavedTitle: '有未保存的修改', unsavedBody: '离开此页面将丢失未保存的修改，确定离开？', leave: '离开', stay: '留下',
  published: '已发布为第 {{revision}} 版',
  publish: {
    button: '发布', title: '发布前确认：数据表的变更', confirm: '发布', note: '版本说明（可选）',
    noSteps: '数据表不需要变更（只改了名称、规则或布局）',
    destructiveTitle: '有 {{count}} 个步骤会永久丢失数据，请逐项确认',
    understand: '我了解此字段中的数据将会丢失',
    softDelete: '字段将被隐藏，数据保留在表中，可以随时恢复。',
    purgeColumn: '将删除此字段的数据列：{{values}} 条记录中的值将永久丢失。',
    purgeTable: '将删除此子表：{{rows}} 行数据将永久丢失。',
    retypeLoss: '{{failing}} 条记录的值无法转换为新类型，将被清空。', retypeOk: '所有已有的值都能转换。',
    restore: '字段恢复显示，原有数据仍在。', rename: '键名 {{from}} → {{to}}（数据列不变）',
    note_add_column: '新增数据列', note_create_table: '新建数据表', note_create_child_table: '新建子表',
    note_add_index: '新增索引', note_add_unique: '新增唯一约束（已检查无重复值）', note_drop_index: '删除索引', note_drop_unique: '取消唯一约束',
  },
  op: {
    create_table: '新建表', add_column: '新增字段', add_index: '新增索引', drop_index: '删除索引', add_unique: '唯一约束', drop_unique: '取消唯一',
    create_child_table: '新建子表', soft_delete: '隐藏字段（保留数据）', restore: '恢复字段', rename: '修改键名', change_type: '修改类型', purge: '永久删除数据',
  },
  revisions: {
    title: '版本历史', none: '尚未发布', changes: '查看改动', compare: '比较', rollback: '回滚到此版本',
    rollbackTitle: '回滚到第 {{revision}} 版？', rollbackBody: '将把第 {{revision}} 版作为新版本发布。之后新增的字段会被隐藏，数据保留。',
    rolledBack: '已回滚到第 {{revision}} 版', same: '两个版本没有差别', where: '位置', op: '改动', before: '原来', after: '现在',
    add: '新增', remove: '删除', change: '修改',
  },
};

const en: typeof zh = {
  appName: 'Formwork Designer', otherLanguage: '中文', openRuntime: 'Open the app',
  login: 'Sign in', logout: 'Sign out', username: 'Username', password: 'Password', loginFailed: 'Wrong username or password',
  back: 'Back', search: 'Search', create: 'Create', delete: 'Delete', yes: 'Yes', no: 'No', notFound: 'No such page',
  moveUp: 'Move up', moveDown: 'Move down', requiredMsg: 'Required',
  nav: { forms: 'Forms', workflows: 'Workflows', reports: 'Reports & dashboards', roles: 'Roles', packs: 'Packs' },
  placeholder: {
    comingSoon: 'This designer is being built.',
    workflows: 'Approval flows and automations, drawn', reports: 'Reports and dashboards', roles: 'Roles, row scopes and field rights', packs: 'Installing, upgrading and exporting template packs',
  },
  status: { draft: 'Draft', published: 'Published', modified: 'Unpublished changes' },
  forms: { new: 'New form', label: 'Name', key: 'Key', module: 'Module', revision: 'Revision', status: 'Status', description: 'Description', titleField: 'Title field' },
  labelZh: 'Name (Chinese)', labelEn: 'Name (English)', labelZhEn: 'Name (Chinese / English)',
  keyHelp: 'A lowercase letter, then lowercase letters, digits and _; the API, rules and reports refer to it',
  keyPattern: 'A key starts with a lowercase letter and holds only lowercase letters, digits and _ (at most 48)', keyTaken: 'This key is taken',
  keyLocked: 'Published: records, rules, reports and integrations refer to this key, so it can no longer change. The name can.',
  typeLocked: 'A published field keeps its type here', formKeyFixed: "A form's key never changes",
  type: {
    text: 'Text', textarea: 'Long text', number: 'Number', money: 'Money', percent: 'Percent', date: 'Date', datetime: 'Date & time',
    boolean: 'Yes/No', select: 'Single choice', multiselect: 'Multiple choice', tags: 'Tags', phone: 'Phone', email: 'Email', url: 'URL',
    relation: 'Related record', subtable: 'Sub-table', autonumber: 'Auto number', user: 'Person', department: 'Department', attachment: 'Attachment',
    image: 'Image', signature: 'Signature', address: 'Address', location: 'Location',
  },
  group: { basic: 'Basic', advanced: 'Advanced', people: 'People & org' },
  optionN: 'Option {{n}}', rowItem: 'Item', addOption: 'Add option',
  optionKeyHelp: 'Option key: the value records store', optionKeyLocked: 'Published: records store this key, so it cannot change',
  optionRemovePublished: 'Records may hold this option; after removing it they show its key',
  addRowField: 'Add row field',
  paletteHint: 'Drag onto the canvas, or click to add at the end', canvasEmpty: 'Drag fields here from the left', dragToMove: 'Drag to reorder',
  ruleTag: 'Rules', publishedField: 'Published field', deleteField: 'Delete field', selectField: 'Select a field on the canvas to edit it',
  deleteTitle: 'Delete the field "{{name}}"?',
  deletePublishedBody: 'This field is published. Deleting hides it from the form and keeps its data (a soft delete); you can restore it any time. To erase the data, tick "Erase its data" under Deleted fields; publishing then asks again.',
  deleted: {
    title: 'Deleted fields ({{count}})', help: 'These fields are hidden and their data is kept: they can be restored. Ticking "Erase its data" erases it at the next publish, for good.',
    purge: 'Erase its data', restore: 'Restore',
  },
  tab: { field: 'Field', form: 'Form', preview: 'Preview' },
  prop: {
    basic: 'Basics', key: 'Key', type: 'Type', required: 'Required', sensitive: 'Sensitive', unique: 'Unique', help: 'Help text', default: 'Default',
    options: 'Options', allowNewOptions: 'Allow new tags', relation: 'Relation', relationForm: 'Related form', subtable: 'Row fields',
    validation: 'Validation', minLength: 'Min length', maxLength: 'Max length', pattern: 'Pattern (regular expression)', patternMessage: 'Message when it does not match',
    min: 'Minimum', max: 'Maximum', layout: 'Layout', span: 'Width', section: 'Section', rules: 'Visibility and required rules', formula: 'Formula',
  },
  span: { 24: 'Full', 12: '1/2', 8: '1/3', 6: '1/4' },
  sectionHelp: 'Fields of one section show under one heading', sensitiveHelp: 'Encrypted at rest; some roles see it masked',
  patternHelp: 'e.g. ^1[3-9]\\d{9}$', relationHelp: 'Only published forms can be related', noDefault: 'This type has no default',
  dateValidationHint: 'Express date ranges with rules or form validation',
  titleFieldHelp: 'Shown in relation pickers and as the record title',
  formulaHelp: 'With a formula the system computes this field; people cannot type it.',
  rule: { visible: 'Shown when (none: always)', required: 'Required when (besides the Required switch)', readOnly: 'Read-only when' },
  logic: {
    visual: 'Visual', and: 'All of', or: 'Any of', field: 'Field', number: 'Number', addCondition: 'Add condition', addTerm: 'Add term',
    tooComplex: 'This rule is beyond the visual editor; edit it as JSON.',
    ops: { '==': 'equals', '!=': 'not equal', '>': 'greater than', '>=': 'at least', '<': 'less than', '<=': 'at most', contains: 'contains', in: 'is one of', is_empty: 'is empty', not_empty: 'is not empty' },
    badJson: 'Not valid JSON: {{message}}', oneOperation: 'One operation per object: {{keys}}', unknownOperation: 'Unknown operation: {{op}}',
    unknownField: 'No such field: {{field}}',
  },
  previewSample: 'Sample data', previewClear: 'Clear', previewCheck: 'Check rules', previewValid: 'The sample data passes every rule',
  previewHint: 'The preview uses the compiler and rules the runtime uses: change values to see visibility, required and formulas follow.',
  previewStandIn: '(picked or uploaded at run time)',
  undo: 'Undo', redo: 'Redo', saveDraft: 'Save draft', draftSaved: 'Draft saved', unsaved: 'Unsaved',
  unsavedTitle: 'Unsaved changes', unsavedBody: 'Leaving this page loses your unsaved changes. Leave anyway?', leave: 'Leave', stay: 'Stay',
  published: 'Published as revision {{revision}}',
  publish: {
    button: 'Publish', title: 'Before publishing: changes to the tables', confirm: 'Publish', note: 'Revision note (optional)',
    noSteps: 'No table changes (names, rules or layout only)',
    destructiveTitle: '{{count}} step(s) lose data for good; confirm each one',
    understand: 'I understand the data in this field will be lost',
    softDelete: 'The field is hidden; its data stays in the table and it can be restored any time.',
    purgeColumn: 'Drops the column: the values of {{values}} records are lost for good.',
    purgeTable: 'Drops the sub-table: {{rows}} rows are lost for good.',
    retypeLoss: '{{failing}} stored values cannot convert and will be emptied.', retypeOk: 'Every stored value converts.',
    restore: 'The field shows again with its data.', rename: 'Key {{from}} → {{to}} (same column)',
    note_add_column: 'New column', note_create_table: 'New table', note_create_child_table: 'New sub-table',
    note_add_index: 'New index', note_add_unique: 'New unique constraint (no duplicates found)', note_drop_index: 'Index dropped', note_drop_unique: 'Unique constraint dropped',
  },
  op: {
    create_table: 'Create table', add_column: 'Add field', add_index: 'Add index', drop_index: 'Drop index', add_unique: 'Unique', drop_unique: 'Not unique',
    create_child_table: 'Create sub-table', soft_delete: 'Hide field (data kept)', restore: 'Restore field', rename: 'Rename key', change_type: 'Change type', purge: 'Erase data',
  },
  revisions: {
    title: 'Revisions', none: 'Not published yet', changes: 'Changes', compare: 'Compare', rollback: 'Roll back to this',
    rollbackTitle: 'Roll back to revision {{revision}}?', rollbackBody: 'Revision {{revision}} is published again as a new revision. Fields added since are hidden; their data is kept.',
    rolledBack: 'Rolled back to revision {{revision}}', same: 'No differences', where: 'Where', op: 'Change', before: 'Before', after: 'After',
    add: 'Added', remove: 'Removed', change: 'Changed',
  },
};

const saved = localStorage.getItem('formwork.lang');
i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  lng: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
});
document.documentElement.lang = i18n.language;

export type Lang = 'zh-CN' | 'en';
export const lang = (): Lang => (i18n.language === 'en' ? 'en' : 'zh-CN');
export function setLang(l: Lang) {
  localStorage.setItem('formwork.lang', l);
  document.documentElement.lang = l;
  void i18n.changeLanguage(l);
}

/**
 * An area's own words (designer/src/<area>/words.ts calls this when its module loads, before its
 * pages render): kept beside the area's code so areas do not edit one shared dictionary. They
 * live under the area's key: registerWords('workflows', zh, en) → t('workflows.palette').
 */
export function registerWords(area: string, zhWords: Record<string, unknown>, enWords: Record<string, unknown>) {
  i18n.addResourceBundle('zh-CN', 'translation', { [area]: zhWords }, true, true);
  i18n.addResourceBundle('en', 'translation', { [area]: enWords }, true, true);
}

/** A metadata label (a string or {zh-CN, en}) in the current language. */
export function label(l: unknown, fallback = ''): string {
  if (typeof l === 'string') return l || fallback;
  if (l && typeof l === 'object') {
    const o = l as Record<string, string>;
    return o[lang()] || o['zh-CN'] || o.en || fallback;
  }
  return fallback;
}

/** A bilingual message ({zh-CN, en}) or a string. */
export const msgText = label;

export default i18n;
