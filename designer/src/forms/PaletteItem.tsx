import { memo } from 'react';
import { useDraggable } from '@dnd-kit/core';
import { useTranslation } from 'react-i18next';
import type { FieldType } from './model';
import { fieldIcon } from './fieldIcons';

/** One field type in the palette: drag it onto the canvas, or click to add it at the end. */
export const PaletteItem = memo(function PaletteItem({ type, onAdd }: { type: FieldType; onAdd: (t: FieldType) => void }) {
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef } = useDraggable({ id: `palette:${type}`, data: { from: 'palette', type } });
  return (
    <div
      ref={setNodeRef}
      className="fwd-palette-item"
      data-testid={`palette-${type}`}
      onClick={() => onAdd(type)}
      {...attributes}
      {...listeners}
    >
      {fieldIcon(type)} <span>{t(`type.${type}`)}</span>
    </div>
  );
});
