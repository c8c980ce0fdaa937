import { validateFormDef } from '../../src/meta/metaschema.js';
import { test } from "vitest"; test("s", () => {
const tryIt = (d: unknown) => { try { validateFormDef(d); console.log('ok'); } catch (e: any) { console.log(JSON.stringify(e.fields, null, 1)); } };
tryIt({ key: 'a', label: 'A', fields: [] });
tryIt({ key: 'A', label: 5, fields: [{ key: 'x', type: 'select', label: '' }, {key:'y', type:'text', label:{}, options: [], foo: 1}, {key:'z', type:'subtable', label:'z', fields:[{key:'q', type:'subtable', label: 'q', fields: []}]},
 {key:'n', type:'autonumber', label:'n', autonumber:{pattern:'A{##}{###}'}}, {key:'r', type:'number', label:'r', rollup: {form:'x', via:'y', op:'sum'}, formula: {var: [{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[{"if":[[[[[[[[[[[1]]]]]]]]]]]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}}, {key:'t', type: 'foo', label: 'x'}] });
tryIt(JSON.parse('{"key":"a","label":"A","fields":[],"ext":{"__proto__":{"x":1}}}'));
tryIt({ key: 'a', label: 'A', titleField: 'nope', fields: [{key:'a', type:'number', label:'a', formula: {'+': [{var:'b'}, 1]}}, {key:'b', type:'number', label:'b', formula: {var:'a'}}, {key:'a', id: 'x', type:'text', label:'c', rules: {visible: {'==':[{var:'zz'},1]}}}, {key:'d', id:'x', type:'multiselect', label:'d', unique: true, options:[{key:'o', label:'O'},{key:'o', label:'P'}]},
 {key:'items', type:'subtable', label:'I', fields:[{key:'qty', type:'number', label:'q'}, {key:'amt', type:'number', label:'a', formula: {'*':[{var:'qty'},{var:'price'}]}}]},
 {key:'tot', type:'number', label:'t', formula: {reduce: [{var:'items'}, {'+':[{var:'accumulator'},{var:'current.amt'}]}, 0]}},
 {key:'cnt', type:'number', label:'t', formula: {filter: [{var:'items'}, {'>':[{var:'qty'},{var:'nope2'}]}]}},
]});
});
