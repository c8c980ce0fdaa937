/**
 * The permission matrix: rows are the published forms grouped by module (and "every form"),
 * columns the record actions, then the row scope and the field rights. A module row and a
 * column header tick or untick all their forms at once; the "row" box all actions of a form.
 * Server errors show in the cell their JSON Pointer names.
 */
import { useMemo, useState } from 'react';
import { Button, Checkbox, Select, Space, Table, Tooltip, Typography } from 'antd';
import { EditOutlined, WarningOutlined } from '@ant-design/icons';
import type { ColumnsType } from 'antd/es/table';
import { useTranslation } from 'react-i18next';
import { label } from '../i18n';
import {
  entryOf, groupByModule, RECORD_ACTIONS, scopeKind, setActions, setFieldSets, setRows, tickState, WILDCARD,
  type ErrorColumn, type FieldSet, type FormSummary, type PlacedRoleErrors, type RecordAction, type RoleDef, type RowScope,
} from './model';
import { FieldSetsDialog } from './FieldSetsDialog';
import { RowRuleDialog } from './RowRuleDialog';
import './words';

interface Row {
  rowKey: string;
  kind: 'module' | 'form';
  /** form key ('*' for every form) */
  form?: string;
  module?: string | null;
  title: string;
  /** the forms this row toggles */
  forms: string[];
  children?: Row[];
}

function CellErrors({ messages, testId }: { messages?: string[]; testId: string }) {
  if (!messages?.length) return null;
  return (
    <div data-testid={testId} style={{ color: '#cf1322', fontSize: 12, marginTop: 2 }}>
      <WarningOutlined /> {messages.join('；')}
    </div>
  );
}

export function PermissionMatrix({ doc, forms, errors, disabled, onChange }: {
  doc: RoleDef; forms: FormSummary[]; errors: PlacedRoleErrors['byForm']; disabled: boolean; onChange: (next: RoleDef) => void;
}) {
  const { t } = useTranslation();
  const [fieldsOf, setFieldsOf] = useState<string | null>(null);
  const [ruleOf, setRuleOf] = useState<string | null>(null);
  const groups = useMemo(() => groupByModule(forms), [forms]);
  const formKeys = useMemo(() => groups.flatMap((g) => g.forms.map((f) => f.key)), [groups]);
  const formLabel = (key: string) => (key === WILDCARD ? t('roles.allForms') : label(forms.find((f) => f.key === key)?.label, key));

  const rows: Row[] = useMemo(() => [
    { rowKey: 'f:*', kind: 'form', form: WILDCARD, title: t('roles.allForms'), forms: [WILDCARD] },
    ...groups.map((g) => ({
      rowKey: `m:${g.module ?? ''}`, kind: 'module' as const, module: g.module, title: g.module ?? t('roles.noModule'), forms: g.forms.map((f) => f.key),
      children: g.forms.map((f) => ({ rowKey: `f:${f.key}`, kind: 'form' as const, form: f.key, module: g.module, title: label(f.label, f.key), forms: [f.key] })),
    })),
  ], [groups, t]);
  const [expanded, setExpanded] = useState<readonly React.Key[]>(() => rows.filter((r) => r.kind === 'module').map((r) => r.rowKey));

  const errs = (form: string | undefined, col: ErrorColumn) => (form ? errors.get(form)?.[col] : undefined);
  const idOf = (r: Row) => (r.kind === 'module' ? `m-${r.module ?? 'none'}` : r.form === WILDCARD ? 'all' : r.form!);

  const toggle = (r: Row, actions: readonly RecordAction[], on: boolean) => onChange(setActions(doc, r.forms, actions, on));

  const actionColumn = (a: RecordAction): ColumnsType<Row>[number] => {
    const head = tickState(doc, formKeys, a);
    return {
      key: a, width: 84, align: 'center',
      title: (
        <Tooltip title={t('roles.bulkColumn', { action: t(`roles.action.${a}`) })}>
          <Space orientation="vertical" size={0}>
            <span>{t(`roles.action.${a}`)}</span>
            <Checkbox
              data-testid={`col-${a}`} disabled={disabled} checked={head.checked} indeterminate={head.indeterminate}
              onChange={(e) => onChange(setActions(doc, formKeys, [a], e.target.checked))}
            />
          </Space>
        </Tooltip>
      ),
      render: (_: unknown, r: Row) => {
        const s = tickState(doc, r.forms, a);
        return (
          <Checkbox
            data-testid={`perm-${idOf(r)}-${a}`} disabled={disabled} checked={s.checked} indeterminate={s.indeterminate}
            aria-label={`${r.title} ${t(`roles.action.${a}`)}`}
            onChange={(e) => toggle(r, [a], e.target.checked)}
          />
        );
      },
    };
  };

  const columns: ColumnsType<Row> = [
    {
      key: 'form', title: t('roles.form'), width: 260,
      render: (_, r) => (
        <div>
          {r.kind === 'module'
            ? <Typography.Text strong>{r.title} <Typography.Text type="secondary">({r.forms.length})</Typography.Text></Typography.Text>
            : <span>{r.title} {r.form !== WILDCARD && <Typography.Text type="secondary" code>{r.form}</Typography.Text>}</span>}
          <CellErrors messages={[...(errs(r.form, 'form') ?? []), ...(errs(r.form, 'actions') ?? [])]} testId={`error-${idOf(r)}-form`} />
        </div>
      ),
    },
    {
      key: 'row', title: t('roles.rowAll'), width: 64, align: 'center',
      render: (_, r) => {
        const s = tickState(doc, r.forms, null);
        return <Checkbox data-testid={`perm-${idOf(r)}-all`} disabled={disabled} checked={s.checked} indeterminate={s.indeterminate} onChange={(e) => toggle(r, RECORD_ACTIONS, e.target.checked)} />;
      },
    },
    ...RECORD_ACTIONS.map(actionColumn),
    {
      key: 'rows', title: t('roles.rows'), width: 240,
      render: (_, r) => {
        if (r.kind !== 'form') return null;
        const entry = entryOf(doc, r.form!);
        const kind = scopeKind(entry?.rows);
        const none = !entry?.actions.length;
        return (
          <div data-testid={`rows-${idOf(r)}`}>
            <Space size={4}>
              <Select<string>
                size="small" style={{ width: 170 }} value={kind} disabled={disabled || none}
                title={none ? t('roles.needRead') : undefined}
                onChange={(v) => {
                  if (v === 'rule') {
                    onChange(setRows(doc, r.form!, { rule: { '==': [{ var: '_owner' }, { var: '$user.id' }] } }));
                    setRuleOf(r.form!);
                  } else onChange(setRows(doc, r.form!, v as RowScope));
                }}
                options={(['all', 'own', 'department', 'rule'] as const).map((k) => ({ value: k, label: t(`roles.scope.${k}`) }))}
              />
              {kind === 'rule' && (
                <Tooltip title={t('roles.editRule')}>
                  <Button size="small" icon={<EditOutlined />} disabled={disabled} onClick={() => setRuleOf(r.form!)} data-testid={`rule-${idOf(r)}`} aria-label={t('roles.editRule')} />
                </Tooltip>
              )}
            </Space>
            <CellErrors messages={errs(r.form, 'rows')} testId={`error-${idOf(r)}-rows`} />
          </div>
        );
      },
    },
    {
      key: 'fields', title: t('roles.fields'), width: 220,
      render: (_, r) => {
        if (r.kind !== 'form' || r.form === WILDCARD) return null;
        const entry = entryOf(doc, r.form!);
        const f = entry?.fields ?? {};
        const counts = { hidden: f.hidden?.length ?? 0, readOnly: f.readOnly?.length ?? 0, masked: f.masked?.length ?? 0 };
        const any = counts.hidden + counts.readOnly + counts.masked > 0;
        return (
          <div>
            <Button size="small" type={any ? 'default' : 'dashed'} disabled={disabled || !entry?.actions.length} onClick={() => setFieldsOf(r.form!)} data-testid={`fields-${idOf(r)}`}>
              {any ? t('roles.fieldSummary', counts) : t('roles.noFieldRules')}
            </Button>
            <CellErrors messages={errs(r.form, 'fields')} testId={`error-${idOf(r)}-fields`} />
          </div>
        );
      },
    },
  ];

  const ruleEntry = ruleOf ? entryOf(doc, ruleOf) : undefined;
  return (
    <>
      <Table<Row>
        data-testid="permission-matrix"
        rowKey="rowKey"
        size="small"
        pagination={false}
        sticky
        dataSource={rows}
        columns={columns}
        scroll={{ x: 1100 }}
        expandable={{ expandedRowKeys: expanded, onExpandedRowsChange: setExpanded, indentSize: 12 }}
        rowClassName={(r) => (r.kind === 'module' ? 'fwd-role-module' : '')}
        onRow={(r) => ({ 'data-testid': `matrix-row-${idOf(r)}`, style: r.kind === 'module' ? { background: '#fafafa' } : undefined } as any)}
      />
      {fieldsOf && (
        <FieldSetsDialog
          form={fieldsOf} formLabel={formLabel(fieldsOf)} value={entryOf(doc, fieldsOf)?.fields ?? {}}
          onCancel={() => setFieldsOf(null)}
          onOk={(v: FieldSet) => {
            onChange(setFieldSets(doc, fieldsOf, v));
            setFieldsOf(null);
          }}
        />
      )}
      {ruleOf && (
        <RowRuleDialog
          form={ruleOf} formLabel={formLabel(ruleOf)}
          value={ruleEntry?.rows && typeof ruleEntry.rows === 'object' ? ruleEntry.rows.rule : undefined}
          onCancel={() => setRuleOf(null)}
          onOk={(rule) => {
            onChange(setRows(doc, ruleOf, rule === undefined ? 'all' : { rule }));
            setRuleOf(null);
          }}
        />
      )}
    </>
  );
}
