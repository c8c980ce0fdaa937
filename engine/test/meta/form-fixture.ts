/** A sound form with every field type, for the meta tests. */
import type { FormDef } from '../../src/meta/index.js';

export function fullForm(): FormDef {
  return {
    key: 'service_order',
    label: { 'zh-CN': '维修单', en: 'Service order' },
    module: 'service',
    description: 'Work done on a vehicle',
    icon: 'wrench',
    titleField: 'order_no',
    fields: [
      { id: 'f01', key: 'order_no', type: 'autonumber', label: '单号', autonumber: { pattern: 'SO-{YYYY}{MM}-{####}', reset: 'month' } },
      { id: 'f02', key: 'title', type: 'text', label: { 'zh-CN': '标题', en: 'Title' }, required: true, maxLength: 100, unique: true, ui: { span: 12, placeholder: { 'zh-CN': '请输入', en: 'Type here' } } },
      { id: 'f03', key: 'notes', type: 'textarea', label: 'Notes', help: { 'zh-CN': '备注说明', en: 'Anything else' } },
      { id: 'f04', key: 'mileage', type: 'number', label: 'Mileage', min: 0, max: 2000000, precision: 0, indexed: true },
      { id: 'f05', key: 'price', type: 'money', label: 'Price', min: 0 },
      { id: 'f06', key: 'discount', type: 'percent', label: 'Discount', min: 0, max: 100 },
      { id: 'f07', key: 'due', type: 'date', label: 'Due date' },
      { id: 'f08', key: 'arrived_at', type: 'datetime', label: 'Arrived at' },
      { id: 'f09', key: 'warranty', type: 'boolean', label: 'Warranty', default: false },
      {
        id: 'f10', key: 'status', type: 'select', label: 'Status', default: 'open',
        options: [{ key: 'open', label: { 'zh-CN': '待处理', en: 'Open' }, color: '#888' }, { key: 'done', label: 'Done' }],
      },
      { id: 'f11', key: 'services', type: 'multiselect', label: 'Services', options: [{ key: 'oil', label: 'Oil' }, { key: 'tyres', label: 'Tyres' }] },
      { id: 'f12', key: 'labels', type: 'tags', label: 'Tags', allowNewOptions: true },
      { id: 'f13', key: 'phone', type: 'phone', label: 'Phone', sensitive: true },
      { id: 'f14', key: 'email', type: 'email', label: 'Email' },
      { id: 'f15', key: 'site', type: 'url', label: 'Web site' },
      { id: 'f16', key: 'customer', type: 'relation', label: 'Customer', relation: { form: 'customer', displayField: 'name' } },
      {
        id: 'f17', key: 'items', type: 'subtable', label: 'Items',
        fields: [
          { id: 'f17a', key: 'part', type: 'relation', label: 'Part', relation: { form: 'part' } },
          { id: 'f17b', key: 'qty', type: 'number', label: 'Qty', required: true, min: 1 },
          { id: 'f17c', key: 'unit_price', type: 'money', label: 'Unit price' },
          { id: 'f17d', key: 'amount', type: 'money', label: 'Amount', formula: { '*': [{ var: 'qty' }, { var: 'unit_price' }] } },
          { id: 'f17e', key: 'kind', type: 'select', label: 'Kind', options: [{ key: 'part', label: 'Part' }, { key: 'labour', label: 'Labour' }] },
        ],
      },
      {
        id: 'f18', key: 'total', type: 'money', label: 'Total',
        formula: { reduce: [{ var: 'items' }, { '+': [{ var: 'accumulator' }, { var: 'current.amount' }] }, 0] },
      },
      { id: 'f19', key: 'advisor', type: 'user', label: 'Advisor', default: { $rule: { var: '$user.id' } } },
      { id: 'f20', key: 'team', type: 'department', label: 'Team', multiple: true },
      { id: 'f21', key: 'files', type: 'attachment', label: 'Files', multiple: true },
      { id: 'f22', key: 'photos', type: 'image', label: 'Photos' },
      { id: 'f23', key: 'signature', type: 'signature', label: 'Signature', rules: { visible: { '==': [{ var: 'status' }, 'done'] }, required: { '==': [{ var: 'status' }, 'done'] } } },
      { id: 'f24', key: 'address', type: 'address', label: 'Address' },
      { id: 'f25', key: 'location', type: 'location', label: 'Location', ui: { hidden: true } },
      { id: 'f26', key: 'net', type: 'money', label: 'Net', formula: { '-': [{ var: 'total' }, { '*': [{ var: 'total' }, { '/': [{ var: 'discount' }, 100] }] }] }, stored: true },
      { id: 'f27', key: 'late', type: 'boolean', label: 'Late', formula: { '<': [{ var: 'due' }, { var: '$today' }] }, stored: false, deleted: true },
      { id: 'f28', key: 'old_code', type: 'text', label: 'Old code', deleted: true },
      {
        id: 'f29', key: 'visits', type: 'number', label: 'Visits',
        rollup: { form: 'visit', via: 'order', op: 'count', filter: { '==': [{ var: 'kind' }, 'repair'] } },
      },
      {
        id: 'f30', key: 'plate', type: 'text', label: 'Plate', pattern: '^[A-Z0-9]{5,8}$',
        patternMessage: { 'zh-CN': '车牌格式不正确', en: 'not a valid plate' },
        validate: [{ rule: { '!=': [{ var: 'plate' }, 'XXXXX'] }, message: 'Not a real plate' }],
      },
    ],
    validate: [{ rule: { '<=': [{ var: 'discount' }, 50] }, message: { 'zh-CN': '折扣太大', en: 'Too much discount' }, fields: ['discount'] }],
    layout: { sections: [{ title: 'Main', fields: ['title', 'status'] }] },
    ext: { pack: 'dealership', anything: { nested: [1, 2, 3] } },
  };
}
