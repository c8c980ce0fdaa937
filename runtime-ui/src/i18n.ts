import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

const zh = {
  appName: 'Formwork',
  login: '登录', logout: '退出登录', username: '用户名', password: '密码', loginFailed: '用户名或密码错误',
  language: 'English', inbox: '待办', dashboards: '仪表盘', home: '首页', notifications: '通知', markAllRead: '全部已读',
  noNotifications: '暂无通知', menu: '菜单',
  new: '新建', edit: '编辑', save: '保存', cancel: '取消', delete: '删除', back: '返回', search: '搜索', export: '导出',
  filter: '筛选', columns: '列', import: '导入', importFile: '选择文件', importCheck: '核对', importHint: '点击或拖入 CSV / Excel 文件（第一行为表头）',
  importRows: '共 {{count}} 行', importColumn: '列', importIgnore: '忽略此列', importAllOrNothing: '全部通过才导入', importValidOnly: '只导入无误的行',
  importCheckAgain: '重新核对', importProblems: '{{rows}} 行有 {{count}} 个问题', importReady: '{{count}} 行全部可以导入', importDone: '导入完成：新建 {{created}} 条，失败 {{failed}} 行',
  importFailed: '导入失败', importRunning: '正在导入 {{processed}} / {{total}}', importClose: '完成', importRow: '行', importMessage: '问题', addCondition: '添加条件', apply: '应用', clear: '清除', field: '字段', operator: '条件', value: '值',
  total: '共 {{count}} 条', totalCapped: '超过 {{count}} 条', loading: '加载中…', saved: '已保存', created: '已创建', noData: '暂无数据',
  fixErrors: '请修正标出的字段', conflictTitle: '记录已被他人修改', conflictBody: '此记录在您编辑期间已被修改。重新加载最新内容？您的修改将丢失。',
  reload: '重新加载', unsavedTitle: '有未保存的修改', unsavedBody: '离开此页面将丢失未保存的修改，确定离开？', leave: '离开', stay: '留下',
  fields: '字段', timeline: '流程', history: '修改记录', print: '打印', actions: '操作', status: '状态',
  noWorkflow: '无审批流程', addRow: '添加一行', removeRow: '删除', selectPlaceholder: '搜索并选择',
  open: '待办', done: '已办', cc: '抄送我的', approve: '同意', reject: '驳回', return: '退回', transfer: '转交',
  resubmit: '重新提交', withdraw: '撤回', add_signer: '加签', comment: '意见', transferTo: '转交给', submitAction: '提交',
  taskDone: '已处理', noTasks: '暂无待办', openRecord: '打开记录', createdAt: '创建时间', dueAt: '到期',
  instanceStatus: { running: '进行中', completed: '已完成', rejected: '已驳回', cancelled: '已取消' },
  historyAction: { create: '创建', update: '修改', delete: '删除' },
  ops: { eq: '等于', ne: '不等于', gt: '大于', gte: '大于等于', lt: '小于', lte: '小于等于', contains: '包含', in: '属于', empty: '为空', notEmpty: '不为空' },
  started: '发起', branch: '条件判断', waiting: '等待处理', approved: '已同意', rejected: '已驳回', returned: '已退回', transferred: '已转交',
  completed: '完成', cancelled: '已取消', withdrawn: '已撤回', resubmitted: '已重新提交', end: '结束', timeout: '超时', notified: '已通知',
  yes: '是', no: '否', run: '查询', drill: '查看明细', kpi: '指标', system: '系统',
  module: { other: '其他' },
  publicLink: '公开链接', publicTitle: '标题', publicFields: '公开的字段（必填字段必须包含）', publicCreate: '生成链接', publicExisting: '已有链接',
  copy: '复制', copied: '已复制', disabled: '已停用', submissions: '已提交 {{count}} 次', submitForm: '提交',
  publicThanks: '提交成功，谢谢！', publicTooMany: '提交次数过多，请稍后再试', publicNotFound: '此表单不可用（已关闭或不存在）',
  viewAll: '全部记录', viewActions: '视图操作', viewSaveNew: '另存为新视图', viewSave: '保存到当前视图', viewRename: '重命名视图', viewMakeDefault: '设为默认视图', viewUndefault: '取消默认', viewDefault: '默认',
  viewShared: '共享', viewName: '视图名称', viewSaved: '视图已保存', viewDeleted: '视图已删除', viewDeleteTitle: '删除视图“{{name}}”？', viewShareAll: '共享给所有能查看此表单的人', viewFilter: '视图条件', viewModified: '已修改', masked: '已脱敏，不能修改',
};

const en: typeof zh = {
  appName: 'Formwork',
  login: 'Sign in', logout: 'Sign out', username: 'Username', password: 'Password', loginFailed: 'Wrong username or password',
  language: '中文', inbox: 'Inbox', dashboards: 'Dashboards', home: 'Home', notifications: 'Notifications', markAllRead: 'Mark all read',
  noNotifications: 'No notifications', menu: 'Menu',
  new: 'New', edit: 'Edit', save: 'Save', cancel: 'Cancel', delete: 'Delete', back: 'Back', search: 'Search', export: 'Export',
  filter: 'Filter', columns: 'Columns', import: 'Import', importFile: 'File', importCheck: 'Check', importHint: 'Click or drop a CSV / Excel file (row 1 is the header)',
  importRows: '{{count}} rows', importColumn: 'Column', importIgnore: 'Ignore this column', importAllOrNothing: 'All rows or none', importValidOnly: 'Only the valid rows',
  importCheckAgain: 'Check again', importProblems: '{{count}} problems in {{rows}} rows', importReady: 'All {{count}} rows can be imported', importDone: 'Imported: {{created}} created, {{failed}} rows failed',
  importFailed: 'The import failed', importRunning: 'Importing {{processed}} / {{total}}', importClose: 'Done', importRow: 'Row', importMessage: 'Problem', addCondition: 'Add condition', apply: 'Apply', clear: 'Clear', field: 'Field', operator: 'Operator', value: 'Value',
  total: '{{count}} in all', totalCapped: 'More than {{count}}', loading: 'Loading…', saved: 'Saved', created: 'Created', noData: 'No data',
  fixErrors: 'Please fix the marked fields', conflictTitle: 'Someone else changed this record', conflictBody: 'This record changed while you were editing. Reload the latest version? Your changes will be lost.',
  reload: 'Reload', unsavedTitle: 'Unsaved changes', unsavedBody: 'Leaving this page loses your unsaved changes. Leave anyway?', leave: 'Leave', stay: 'Stay',
  fields: 'Fields', timeline: 'Workflow', history: 'History', print: 'Print', actions: 'Actions', status: 'Status',
  noWorkflow: 'No workflow', addRow: 'Add row', removeRow: 'Remove', selectPlaceholder: 'Search and pick',
  open: 'Open', done: 'Done', cc: "CC'd to me", approve: 'Approve', reject: 'Reject', return: 'Return', transfer: 'Transfer',
  resubmit: 'Resubmit', withdraw: 'Withdraw', add_signer: 'Add signer', comment: 'Comment', transferTo: 'Transfer to', submitAction: 'Submit',
  taskDone: 'Done', noTasks: 'Nothing to do', openRecord: 'Open record', createdAt: 'Created', dueAt: 'Due',
  instanceStatus: { running: 'Running', completed: 'Completed', rejected: 'Rejected', cancelled: 'Cancelled' },
  historyAction: { create: 'Created', update: 'Changed', delete: 'Deleted' },
  ops: { eq: 'equals', ne: 'not equal', gt: 'greater than', gte: 'at least', lt: 'less than', lte: 'at most', contains: 'contains', in: 'is one of', empty: 'is empty', notEmpty: 'is not empty' },
  started: 'Started', branch: 'Branch', waiting: 'Waiting', approved: 'Approved', rejected: 'Rejected', returned: 'Returned', transferred: 'Transferred',
  completed: 'Completed', cancelled: 'Cancelled', withdrawn: 'Withdrawn', resubmitted: 'Resubmitted', end: 'End', timeout: 'Timed out', notified: 'Notified',
  yes: 'Yes', no: 'No', run: 'Run', drill: 'Details', kpi: 'KPI', system: 'System',
  module: { other: 'Other' },
  publicLink: 'Public link', publicTitle: 'Title', publicFields: 'Fields to publish (required ones always)', publicCreate: 'Create link', publicExisting: 'Existing links',
  copy: 'Copy', copied: 'Copied', disabled: 'Disabled', submissions: '{{count}} submissions', submitForm: 'Submit',
  publicThanks: 'Thank you, we received it.', publicTooMany: 'Too many submissions, please try again later', publicNotFound: 'This form is not available (closed or unknown)',
  viewAll: 'All records', viewActions: 'View actions', viewSaveNew: 'Save as new view', viewSave: 'Save into this view', viewRename: 'Rename view', viewMakeDefault: 'Make default', viewUndefault: 'Not default', viewDefault: 'Default',
  viewShared: 'Shared', viewName: 'View name', viewSaved: 'View saved', viewDeleted: 'View deleted', viewDeleteTitle: 'Delete the view "{{name}}"?', viewShareAll: 'Share with everyone who may read this form', viewFilter: 'View filter', viewModified: 'Modified', masked: 'Masked: cannot be changed',
};

const saved = localStorage.getItem('formwork.lang');
i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  lng: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
});

export type Lang = 'zh-CN' | 'en';
export const lang = (): Lang => (i18n.language === 'en' ? 'en' : 'zh-CN');
export function setLang(l: Lang) {
  localStorage.setItem('formwork.lang', l);
  document.documentElement.lang = l;
  void i18n.changeLanguage(l);
}

/** A metadata label (a string or {zh-CN, en}) in the current language. */
export function label(l: unknown, fallback = ''): string {
  if (typeof l === 'string') return l;
  if (l && typeof l === 'object') {
    const o = l as Record<string, string>;
    return o[lang()] || o['zh-CN'] || o.en || fallback;
  }
  return fallback;
}

/** A bilingual message ({zh-CN, en}) or a string. */
export const msgText = label;

export default i18n;
