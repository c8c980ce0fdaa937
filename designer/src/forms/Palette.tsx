import { memo } from 'react';
import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { PALETTE_GROUPS, type FieldType } from './model';
import { PaletteItem } from './PaletteItem';

/** Every field type the engine knows (engine/src/meta/field-types.ts), by palette group. */
export const Palette = memo(function Palette({ onAdd }: { onAdd: (t: FieldType) => void }) {
  const { t } = useTranslation();
  return (
    <div className="fwd-palette" data-testid="palette">
      {PALETTE_GROUPS.map((g) => (
        <div key={g.group} style={{ marginBottom: 12 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`group.${g.group}`)}</Typography.Text>
          <div style={{ marginTop: 4 }}>
            {g.types.map((type) => <PaletteItem key={type} type={type} onAdd={onAdd} />)}
          </div>
        </div>
      ))}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('paletteHint')}</Typography.Text>
    </div>
  );
});
