/** The report's dimensions: a field path each, with a date grain, days-since, or number buckets. */
import { Button, Form, Input, InputNumber, Select } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import './words';
import { label } from '../i18n';
import { LabelInput } from '../forms/LabelInput';
import { FieldPathSelect } from './FieldPathSelect';
import { ItemBox, listOps } from './ItemBox';
import {
  errorsUnder, GRAINS, isDateType, isNumberType, itemStatus, keyFromPath, uniqueKey,
  type Errors, type PathOption, type ReportDimension,
} from './model';

export function DimensionsEditor({ dims, paths, taken, errors, onChange }: {
  dims: ReportDimension[]; paths: PathOption[]; taken: Set<string>; errors: Errors; onChange: (d: ReportDimension[]) => void;
}) {
  const { t } = useTranslation();
  const ops = listOps(dims, onChange);
  const byPath = new Map(paths.map((p) => [p.path, p]));
  const add = (path: string | undefined) => {
    if (!path) return;
    const p = byPath.get(path);
    ops.add({
      key: uniqueKey(keyFromPath(path), taken), field: path,
      ...(p?.field ? { label: p.field.label } : p ? { label: p.text } : {}),
      ...(isDateType(p?.type) ? { grain: 'month' as const } : {}),
    });
  };
  return (
    <div data-testid="dimensions">
      {dims.map((d, i) => {
        const at = `/dimensions/${i}`;
        const type = byPath.get(d.field)?.type;
        const mode = d.grain ?? (d.transform === 'days_since' ? 'days_since' : '');
        return (
          <ItemBox
            key={i} testId={`dim-${i}`} title={label(d.label, d.key)} error={errorsUnder(errors, at).length > 0}
            onUp={i > 0 ? () => ops.move(i, -1) : undefined} onDown={i < dims.length - 1 ? () => ops.move(i, 1) : undefined} onRemove={() => ops.remove(i)}
          >
            <Form layout="vertical" size="small" component="div">
              <Form.Item label={t('reports.field')} {...itemStatus(errors, `${at}/field`)}>
                <FieldPathSelect paths={paths} value={d.field} testId={`dim-${i}-field`} onChange={(f) => f && ops.update(i, { field: f })} />
              </Form.Item>
              <div className="fwr-row">
                <Form.Item label={t('reports.key')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/key`)}>
                  <Input value={d.key} data-testid={`dim-${i}-key`} onChange={(e) => ops.update(i, { key: e.target.value })} />
                </Form.Item>
                {(isDateType(type) || d.grain || d.transform) && (
                  <Form.Item label={t('reports.grain')} style={{ flex: 1 }} {...itemStatus(errors, `${at}/grain`)}>
                    <Select
                      value={mode} data-testid={`dim-${i}-grain`}
                      options={[{ value: '', label: t('reports.noGrain') }, ...GRAINS.map((g) => ({ value: g, label: t(`reports.grains.${g}`) })), { value: 'days_since', label: t('reports.daysSince') }]}
                      onChange={(v: string) => {
                        const { grain: _g, transform: _t, ...rest } = d;
                        ops.replace(i, { ...rest, ...(v === 'days_since' ? { transform: 'days_since' } : v ? { grain: v as ReportDimension['grain'] } : {}) });
                      }}
                    />
                  </Form.Item>
                )}
              </div>
              <Form.Item label={t('reports.label')} {...itemStatus(errors, `${at}/label`)}>
                <LabelInput id={`dim-${i}-label`} value={d.label} onChange={(l) => ops.replace(i, withOptional(d, 'label', l))} />
              </Form.Item>
              {(isNumberType(type) || d.transform === 'days_since' || d.buckets) && (
                <Form.Item label={t('reports.buckets')} {...itemStatus(errors, `${at}/buckets`)}>
                  <BucketsEditor dim={d} at={at} errors={errors} onChange={(b) => ops.replace(i, withOptional(d, 'buckets', b))} testId={`dim-${i}-buckets`} />
                </Form.Item>
              )}
            </Form>
          </ItemBox>
        );
      })}
      <FieldPathSelect paths={paths} value={undefined} placeholder={t('reports.addDimension')} testId="add-dimension" onChange={add} />
    </div>
  );
}

/** Set or drop an optional property. */
export function withOptional<T extends object, K extends keyof T>(x: T, k: K, v: T[K] | undefined): T {
  const out = { ...x };
  if (v === undefined) delete out[k];
  else out[k] = v;
  return out;
}

function BucketsEditor({ dim, at, errors, onChange, testId }: {
  dim: ReportDimension; at: string; errors: Errors; onChange: (b: ReportDimension['buckets'] | undefined) => void; testId: string;
}) {
  const { t } = useTranslation();
  const list = dim.buckets ?? [];
  const ops = listOps(list, (next) => onChange(next.length ? next : undefined));
  return (
    <div data-testid={testId}>
      {list.map((b, j) => (
        <div className="fwr-row" key={j}>
          <Input size="small" style={{ width: 90 }} value={b.key} status={errorsUnder(errors, `${at}/buckets/${j}/key`).length ? 'error' : undefined} onChange={(e) => ops.update(j, { key: e.target.value })} />
          <Input size="small" style={{ flex: 1 }} placeholder={t('reports.label')} value={label(b.label)} onChange={(e) => ops.replace(j, withOptional(b, 'label', e.target.value || undefined))} />
          <InputNumber
            size="small" style={{ width: 100 }} placeholder={j === list.length - 1 ? t('reports.bucketLast') : t('reports.max')} value={b.max ?? null}
            status={errorsUnder(errors, `${at}/buckets/${j}/max`).length ? 'error' : undefined}
            onChange={(v) => ops.replace(j, withOptional(b, 'max', v ?? undefined))}
          />
          <Button size="small" type="text" danger onClick={() => ops.remove(j)}>×</Button>
        </div>
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={() => ops.add({ key: uniqueKey(`b${list.length + 1}`, new Set(list.map((b) => b.key))), max: (list[list.length - 1]?.max ?? 0) + 10 })}>
        {t('reports.addBucket')}
      </Button>
    </div>
  );
}
