/** A detail report's columns (one row per record): a field path or arithmetic over paths each. Not with dimensions or measures. */
import { Form, Input, Segmented, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { FieldPathSelect } from './FieldPathSelect';
import { ItemBox, listOps } from './ItemBox';
import { withOptional } from './DimensionsEditor';
import { JsonInput } from './JsonInput';
import { errorsUnder, FORMATS, itemStatus, keyFromPath, uniqueKey, type Errors, type PathOption, type ReportDef } from './model';

type Column = NonNullable<ReportDef['columns']>[number];

export function ColumnsEditor({ columns, paths, taken, errors, onChange }: {
  columns: Column[]; paths: PathOption[]; taken: Set<string>; errors: Errors; onChange: (c: Column[]) => void;
}) {
  const { t } = useTranslation();
  const ops = listOps(columns, onChange);
  const byPath = new Map(paths.map((p) => [p.path, p]));
  return (
    <div data-testid="columns">
      {columns.map((c, i) => {
        const at = `/columns/${i}`;
        const isExpr = c.expr !== undefined;
        return (
          <ItemBox
            key={i} testId={`column-${i}`} title={label(c.label, c.key)} error={errorsUnder(errors, at).length > 0}
            onUp={i > 0 ? () => ops.move(i, -1) : undefined} onDown={i < columns.length - 1 ? () => ops.move(i, 1) : undefined} onRemove={() => ops.remove(i)}
          >
            <Form layout="vertical" size="small" component="div">
              <Segmented
                size="small" style={{ marginBottom: 6 }} value={isExpr ? 'expr' : 'field'}
                options={[{ value: 'field', label: t('reports.field') }, { value: 'expr', label: t('reports.ops.expr') }]}
                onChange={(m) => {
                  const { field: _f, expr: _e, ...rest } = c;
                  ops.replace(i, m === 'expr' ? { ...rest, expr: { '*': [{ var: c.field ?? paths[0]?.path ?? 'id' }, 1] } } : { ...rest, field: paths[0]?.path ?? 'id' });
                }}
              />
              {isExpr
                ? (
                  <Form.Item label={t('reports.ops.expr')} {...itemStatus(errors, `${at}/expr`)}>
                    <JsonInput value={c.expr} testId={`column-${i}-expr`} onChange={(v) => ops.replace(i, withOptional(c, 'expr', v as Column['expr']))} />
                  </Form.Item>
                )
                : (
                  <Form.Item label={t('reports.field')} {...itemStatus(errors, `${at}/field`)} {...(itemStatus(errors, at).help ? itemStatus(errors, at) : {})}>
                    <FieldPathSelect paths={paths} value={c.field} testId={`column-${i}-field`} onChange={(f) => f && ops.update(i, { field: f })} />
                  </Form.Item>
                )}
              <div className="fwr-row">
                <Form.Item label={t('reports.key')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/key`)}>
                  <Input value={c.key} data-testid={`column-${i}-key`} onChange={(e) => ops.update(i, { key: e.target.value })} />
                </Form.Item>
                <Form.Item label={t('reports.format')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/format`)}>
                  <Select allowClear value={c.format} options={FORMATS.map((f) => ({ value: f, label: t(`reports.formats.${f}`) }))} onChange={(f) => ops.replace(i, withOptional(c, 'format', f ?? undefined))} />
                </Form.Item>
              </div>
              <Form.Item label={t('reports.label')} {...itemStatus(errors, `${at}/label`)}>
                <LabelInput id={`column-${i}-label`} value={c.label} onChange={(l) => ops.replace(i, withOptional(c, 'label', l))} />
              </Form.Item>
            </Form>
          </ItemBox>
        );
      })}
      <FieldPathSelect
        paths={paths} value={undefined} placeholder={t('reports.addColumn')} testId="add-column"
        onChange={(path) => {
          if (!path) return;
          const p = byPath.get(path);
          ops.add({ key: uniqueKey(keyFromPath(path), taken), field: path, ...(p?.field ? { label: p.field.label } : p ? { label: p.text } : {}) });
        }}
      />
    </div>
  );
}
