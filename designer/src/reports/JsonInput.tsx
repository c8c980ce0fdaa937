import { useEffect, useState } from 'react';
import { Input } from 'antd';

/**
 * A JSON value typed as text: applied while it parses (empty text: undefined), otherwise the
 * control is red and the document keeps the last good value.
 */
export function JsonInput({ value, onChange, testId, placeholder, status }: {
  value: unknown; onChange: (v: unknown) => void; testId: string; placeholder?: string; status?: 'error';
}) {
  const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
  const [text, setText] = useState(show(value));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    let same = false;
    try {
      same = JSON.stringify(text.trim() ? JSON.parse(text) : undefined) === JSON.stringify(value);
    } catch {
      /* being typed */
    }
    if (!same) {
      setText(show(value));
      setBad(false);
    }
  }, [JSON.stringify(value)]);
  return (
    <Input.TextArea
      value={text} data-testid={testId} placeholder={placeholder} autoSize={{ minRows: 1, maxRows: 8 }}
      style={{ fontFamily: 'monospace', fontSize: 12 }} status={bad || status ? 'error' : undefined}
      onChange={(e) => {
        setText(e.target.value);
        if (!e.target.value.trim()) {
          setBad(false);
          onChange(undefined);
          return;
        }
        try {
          const v = JSON.parse(e.target.value);
          setBad(false);
          onChange(v);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}
