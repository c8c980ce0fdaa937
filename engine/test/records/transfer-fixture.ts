/**
 * Shared set-up of the import and export tests: a customer form with every kind of cell, a
 * company form it relates to, an automation on record_created, two roles, and file builders.
 */
import ExcelJS from 'exceljs';
import { expect } from 'vitest';
import { publishForm, type TestEngine, type TestServer } from '../helpers/engine.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const companyForm = {
  key: 'company',
  label: { 'zh-CN': '公司', en: 'Company' },
  titleField: 'name',
  fields: [{ id: 'co_name', key: 'name', type: 'text', label: { 'zh-CN': '名称', en: 'Name' }, required: true }],
};

export const customerForm = {
  key: 'customer',
  label: { 'zh-CN': '客户', en: 'Customer' },
  titleField: 'name',
  fields: [
    { id: 'c_name', key: 'name', type: 'text', label: { 'zh-CN': '姓名', en: 'Name' }, required: true },
    { id: 'c_code', key: 'code', type: 'text', label: { 'zh-CN': '编号', en: 'Code' }, unique: true },
    {
      id: 'c_level', key: 'level', type: 'select', label: { 'zh-CN': '级别', en: 'Level' },
      options: [{ key: 'a', label: { 'zh-CN': 'A级', en: 'Gold' } }, { key: 'b', label: { 'zh-CN': 'B级', en: 'Silver' } }],
    },
    { id: 'c_amount', key: 'amount', type: 'money', label: { 'zh-CN': '金额', en: 'Amount' } },
    { id: 'c_birthday', key: 'birthday', type: 'date', label: { 'zh-CN': '生日', en: 'Birthday' } },
    { id: 'c_vip', key: 'vip', type: 'boolean', label: { 'zh-CN': '会员', en: 'VIP' } },
    {
      id: 'c_tags', key: 'tags', type: 'multiselect', label: { 'zh-CN': '标签', en: 'Tags' },
      options: [{ key: 'new', label: { 'zh-CN': '新客', en: 'New' } }, { key: 'loyal', label: { 'zh-CN': '老客', en: 'Loyal' } }],
    },
    { id: 'c_company', key: 'company', type: 'relation', label: { 'zh-CN': '公司', en: 'Company' }, relation: { form: 'company' } },
    { id: 'c_secret', key: 'secret', type: 'text', label: { 'zh-CN': '内部备注', en: 'Internal note' } },
    { id: 'c_idno', key: 'idno', type: 'text', label: { 'zh-CN': '证件号', en: 'ID number' } },
    {
      id: 'c_status', key: 'status', type: 'select', label: { 'zh-CN': '状态', en: 'Status' }, default: 'open',
      options: [{ key: 'open', label: '待处理' }, { key: 'processed', label: '已处理' }],
    },
  ],
};

/** A workflow on record_created that marks the record processed: the automation each imported row fires. */
export const markWorkflow = {
  key: 'mark_customer', label: 'Mark', trigger: { type: 'record_created', form: 'customer' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'mark', type: 'set_fields', config: { values: { status: 'processed' } } },
    { id: 'end', type: 'end' },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'mark' }, { id: 'e2', source: 'mark', target: 'end' }],
};

export const clerkRole = {
  key: 'clerk', label: 'Clerk',
  permissions: [
    { form: 'customer', actions: ['read', 'create', 'export', 'import'], rows: 'own', fields: { hidden: ['secret'], masked: ['idno'] } },
    { form: 'company', actions: ['read'] },
  ],
};
export const viewerRole = { key: 'viewer', label: 'Viewer', permissions: [{ form: 'customer', actions: ['read', 'export'] }] };

export async function setUp(s: TestServer, t: TestEngine) {
  await publishForm(t.engine, companyForm);
  await publishForm(t.engine, customerForm);
  for (const role of [clerkRole, viewerRole]) {
    expect((await s.api(`/api/meta/roles/${role.key}`, { method: 'PUT', body: role })).status).toBe(200);
    expect((await s.api(`/api/meta/roles/${role.key}/publish`, { method: 'POST', body: {} })).status).toBe(200);
  }
}

export function csvOf(rows: unknown[][]): string {
  return rows.map((r) => r.map((c) => {
    const v = c == null ? '' : String(c);
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }).join(',')).join('\r\n') + '\r\n';
}

export async function xlsxOf(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('客户');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
