/** The registered node types by palette group (not the start: a workflow has one). Drag onto the canvas, or click to add. */
import { memo } from 'react';
import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { msgText } from '../i18n';
import { GROUPS, type NodeTypeFacts } from './model';
import { GROUP_COLOR } from './WorkflowNode';
import './words';

export const DRAG_TYPE = 'application/x-formwork-node';

export const NodePalette = memo(function NodePalette({ types, onAdd }: { types: NodeTypeFacts[]; onAdd: (type: string) => void }) {
  const { t } = useTranslation();
  return (
    <div className="fww-palette" data-testid="wf-palette">
      {GROUPS.map((g) => {
        const list = types.filter((x) => x.group === g && x.type !== 'start');
        if (!list.length) return null;
        return (
          <div key={g} style={{ marginBottom: 10 }}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`workflows.group.${g}`)}</Typography.Text>
            {list.map((x) => (
              <div
                key={x.type} className="fww-palette-item" draggable data-testid={`wf-palette-${x.type}`}
                style={{ borderLeftColor: GROUP_COLOR[g] }}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DRAG_TYPE, x.type);
                  e.dataTransfer.effectAllowed = 'move';
                }}
                onClick={() => onAdd(x.type)}
              >
                {msgText(x.label, x.type)}
              </div>
            ))}
          </div>
        );
      })}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('workflows.paletteHint')}</Typography.Text>
    </div>
  );
});
