import { describe, expect, it } from 'vitest';
import { merge3, overlayOf } from '../../src/packs/merge.js';

const form = (fields: any[], extra: Record<string, unknown> = {}) => ({ key: 'contact', label: { 'zh-CN': '联系人', en: 'Contact' }, fields, ...extra });
const f = (id: string, key: string, label: string, extra: Record<string, unknown> = {}) => ({ id, key, type: 'text', label: { 'zh-CN': label, en: key }, ...extra });

describe('three-way merge of documents', () => {
  const base = form([f('f1', 'name', '姓名'), f('f2', 'phone', '电话')]);

  it('keeps a field added locally and takes a field and a label the pack changed', () => {
    const ours = form([f('f1', 'name', '客户姓名'), f('f2', 'phone', '电话'), f('l1', 'wechat', '微信')]);
    const theirs = form([f('f1', 'name', '姓名'), f('f2', 'phone', '手机'), f('f3', 'email', '邮箱')]);
    const { merged, conflicts } = merge3(base, ours, theirs);
    expect(conflicts).toEqual([]);
    expect((merged as any).fields.map((x: any) => [x.key, x.label['zh-CN']])).toEqual([
      ['name', '客户姓名'], ['phone', '手机'], ['wechat', '微信'], ['email', '邮箱'],
    ]);
  });

  it('reports both sides changing one property, with the three values, and keeps local until chosen', () => {
    const ours = form([f('f1', 'name', '客户名'), f('f2', 'phone', '电话')]);
    const theirs = form([f('f1', 'name', '名称'), f('f2', 'phone', '电话')]);
    const { merged, conflicts } = merge3(base, ours, theirs);
    expect(conflicts).toEqual([{ path: '/fields[f1]/label/zh-CN', base: '姓名', ours: '客户名', theirs: '名称' }]);
    expect((merged as any).fields[0].label['zh-CN']).toBe('客户名');
    const chosen = merge3(base, ours, theirs, (p) => (p === '/fields[f1]/label/zh-CN' ? 'theirs' : undefined));
    expect((chosen.merged as any).fields[0].label['zh-CN']).toBe('名称');
  });

  it('reports an override of something the new base removed, and a removal of something the pack changed', () => {
    const ours = form([f('f1', 'name', '姓名', { required: true })]); // phone removed locally, name made required
    const theirs = form([f('f2', 'phone', '手机')]); // name removed by the pack, phone relabelled
    const { conflicts } = merge3(base, ours, theirs);
    expect(conflicts.map((c) => c.path).sort()).toEqual(['/fields[f1]', '/fields[f2]']);
    const removedByPack = conflicts.find((c) => c.path === '/fields[f1]')!;
    expect(removedByPack.theirs).toBeUndefined();
    expect((removedByPack.ours as any).required).toBe(true);
  });

  it('merges options by key and permissions by form', () => {
    const b = { key: 'r', permissions: [{ form: 'a', actions: ['read'] }], options: [{ key: 'x', label: 'X' }] };
    const o = { key: 'r', permissions: [{ form: 'a', actions: ['read', 'update'] }], options: [{ key: 'x', label: 'X' }, { key: 'y', label: 'Y' }] };
    const t = { key: 'r', permissions: [{ form: 'a', actions: ['read'] }, { form: 'b', actions: ['read'] }], options: [{ key: 'x', label: 'XX' }] };
    const { merged, conflicts } = merge3(b, o, t);
    expect(conflicts).toEqual([]);
    expect(merged).toEqual({
      key: 'r',
      permissions: [{ form: 'a', actions: ['read', 'update'] }, { form: 'b', actions: ['read'] }],
      options: [{ key: 'x', label: 'XX' }, { key: 'y', label: 'Y' }],
    });
  });

  it('describes the overlay: what differs from the base, by stable id', () => {
    const ours = form([f('f1', 'name', '客户姓名'), f('f2', 'phone', '电话'), f('l1', 'wechat', '微信')]);
    expect(overlayOf(base, ours).map((c) => c.path)).toEqual(['/fields[f1]/label/zh-CN', '/fields[l1]']);
    expect(overlayOf(base, base)).toEqual([]);
  });
});
