import { Input } from 'antd';
import type { Label } from './model';

const part = (l: Label | undefined, lang: 'zh-CN' | 'en') => (typeof l === 'string' ? (lang === 'zh-CN' ? l : '') : l?.[lang] ?? '');

/** A bilingual label: zh-CN first, English beside it. Empty parts are left out (undefined when both are). */
export function LabelInput({ value, onChange, id, textarea, status }: {
  value: Label | undefined; onChange: (l: Label | undefined) => void; id: string; textarea?: boolean; status?: 'error';
}) {
  const set = (lang: 'zh-CN' | 'en', text: string) => {
    const next = { 'zh-CN': part(value, 'zh-CN'), en: part(value, 'en'), [lang]: text };
    const out: { 'zh-CN'?: string; en?: string } = {};
    if (next['zh-CN']) out['zh-CN'] = next['zh-CN'];
    if (next.en) out.en = next.en;
    onChange(Object.keys(out).length ? out : undefined);
  };
  const common = (l: 'zh-CN' | 'en') => ({
    id: `${id}-${l === 'zh-CN' ? 'zh' : 'en'}`,
    'data-testid': `${id}-${l === 'zh-CN' ? 'zh' : 'en'}`,
    placeholder: l === 'zh-CN' ? '中文' : 'English',
    value: part(value, l),
    status: l === 'zh-CN' ? status : undefined,
  });
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
      {(['zh-CN', 'en'] as const).map((l) => textarea
        ? <Input.TextArea key={l} {...common(l)} maxLength={2000} autoSize={{ minRows: 1, maxRows: 4 }} onChange={(e) => set(l, e.target.value)} />
        : <Input key={l} {...common(l)} maxLength={200} prefix={<span className="fwd-lang">{l === 'zh-CN' ? '中' : 'EN'}</span>} onChange={(e) => set(l, e.target.value)} />)}
    </div>
  );
}
