import { useEffect, useState } from 'react';
import { Alert, Input } from 'antd';
import { useTranslation } from 'react-i18next';
import { checkLogic } from './model';

/**
 * Raw json-logic for power users. The text is applied only while it is valid JSON whose
 * operations the engine knows; otherwise the problem is shown and the document keeps the last
 * valid rule. Empty text removes the rule.
 */
export function JsonLogicEditor({ value, onChange, fieldKeys, testId }: {
  value: unknown; onChange: (v: unknown) => void; fieldKeys: Set<string>; testId: string;
}) {
  const { t } = useTranslation();
  const pretty = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
  const [text, setText] = useState(pretty(value));
  const [problems, setProblems] = useState<string[]>([]);
  const [warnings, setWarnings] = useState<string[]>([]);
  // Follow the document when it changes from elsewhere (undo, the visual builder).
  useEffect(() => {
    let same = false;
    try {
      same = JSON.stringify(JSON.parse(text || 'null')) === JSON.stringify(value ?? null);
    } catch {
      /* the text is being edited */
    }
    if (!same) {
      setText(pretty(value));
      setProblems([]);
    }
  }, [value]);
  return (
    <div>
      <Input.TextArea
        value={text}
        data-testid={testId}
        autoSize={{ minRows: 3, maxRows: 14 }}
        style={{ fontFamily: 'monospace', fontSize: 12 }}
        status={problems.length ? 'error' : undefined}
        placeholder='{"==": [{"var": "field"}, "value"]}'
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          if (!next.trim()) {
            setProblems([]);
            setWarnings([]);
            onChange(undefined);
            return;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(next);
          } catch (err) {
            setProblems([t('logic.badJson', { message: (err as Error).message })]);
            return;
          }
          const check = checkLogic(parsed, fieldKeys);
          setProblems(check.errors);
          setWarnings(check.warnings);
          if (!check.errors.length) onChange(parsed);
        }}
      />
      {problems.map((p, i) => <Alert key={i} type="error" showIcon title={p} style={{ marginTop: 4 }} data-testid={`${testId}-error`} />)}
      {warnings.map((p, i) => <Alert key={i} type="warning" showIcon title={p} style={{ marginTop: 4 }} />)}
    </div>
  );
}
