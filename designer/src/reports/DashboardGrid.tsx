/**
 * The dashboard's 24-column grid: widgets placed by their layout {x, y, w, h}; drag a widget by
 * its title bar to move it, by its corner handle to resize it (dnd-kit). While dragging, a ghost
 * shows where it will land (snapped to the grid); widgets it lands on are pushed down.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { DndContext, PointerSensor, KeyboardSensor, useDraggable, useSensor, useSensors, type DragMoveEvent, type DragEndEvent } from '@dnd-kit/core';
import { HolderOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { clampLayout, gridRows, GRID_COLUMNS, ROW_PX, type DashboardWidget, type Layout } from './model';

type Mode = 'move' | 'resize';
const parse = (id: string | number): { mode: Mode; widget: string } => {
  const [mode, widget] = String(id).split(':');
  return { mode: mode as Mode, widget: widget! };
};

function target(w: DashboardWidget, mode: Mode, dx: number, dy: number, colW: number): Layout {
  const l = w.layout;
  const cols = Math.round(dx / colW);
  const rows = Math.round(dy / ROW_PX);
  return clampLayout(mode === 'move' ? { ...l, x: l.x + cols, y: l.y + rows } : { ...l, w: l.w + cols, h: l.h + rows });
}

export function DashboardGrid({ widgets, selected, onSelect, onLayout, render }: {
  widgets: DashboardWidget[]; selected: string | null; onSelect: (id: string) => void;
  onLayout: (id: string, layout: Layout) => void; render: (w: DashboardWidget, height: number) => { title: ReactNode; body: ReactNode };
}) {
  const el = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(960);
  const [ghost, setGhost] = useState<{ id: string; layout: Layout } | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const ro = new ResizeObserver(([e]) => setWidth(e!.contentRect.width));
    ro.observe(el.current);
    return () => ro.disconnect();
  }, []);
  const colW = width / GRID_COLUMNS;
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor));
  const find = (id: string) => widgets.find((w) => w.id === id);
  const onMove = (e: DragMoveEvent) => {
    const { mode, widget } = parse(e.active.id);
    const w = find(widget);
    if (w) setGhost({ id: widget, layout: target(w, mode, e.delta.x, e.delta.y, colW) });
  };
  const onEnd = (e: DragEndEvent) => {
    setGhost(null);
    const { mode, widget } = parse(e.active.id);
    const w = find(widget);
    if (!w) return;
    const l = target(w, mode, e.delta.x, e.delta.y, colW);
    if (JSON.stringify(l) !== JSON.stringify(w.layout)) onLayout(widget, l);
  };
  const rows = gridRows(ghost ? [...widgets, { id: '_', report: '_', layout: ghost.layout }] : widgets);
  return (
    <DndContext sensors={sensors} onDragStart={(e) => onSelect(parse(e.active.id).widget)} onDragMove={onMove} onDragEnd={onEnd} onDragCancel={() => setGhost(null)}>
      <div
        ref={el} className="fwr-grid" data-testid="dashboard-grid"
        style={{ height: rows * ROW_PX, backgroundSize: `${colW}px ${ROW_PX}px` }}
      >
        {widgets.map((w) => (
          <GridWidget key={w.id} widget={w} colW={colW} selected={selected === w.id} onSelect={onSelect} render={render} />
        ))}
        {ghost && (
          <div
            className="fwr-ghost" data-testid="dashboard-ghost"
            style={{ left: ghost.layout.x * colW, top: ghost.layout.y * ROW_PX, width: ghost.layout.w * colW, height: ghost.layout.h * ROW_PX }}
          />
        )}
      </div>
    </DndContext>
  );
}

function GridWidget({ widget, colW, selected, onSelect, render }: {
  widget: DashboardWidget; colW: number; selected: boolean; onSelect: (id: string) => void;
  render: (w: DashboardWidget, height: number) => { title: ReactNode; body: ReactNode };
}) {
  const { t } = useTranslation();
  const move = useDraggable({ id: `move:${widget.id}` });
  const resize = useDraggable({ id: `resize:${widget.id}` });
  const l = widget.layout;
  const height = l.h * ROW_PX;
  const dx = move.transform?.x ?? 0;
  const dy = move.transform?.y ?? 0;
  const extraW = resize.transform?.x ?? 0;
  const extraH = resize.transform?.y ?? 0;
  const { title, body } = render(widget, height - 48);
  return (
    <div
      className={`fwr-widget${selected ? ' fwr-selected' : ''}${move.isDragging || resize.isDragging ? ' fwr-dragging' : ''}`}
      data-testid={`dw-${widget.id}`} data-layout={`${l.x},${l.y},${l.w},${l.h}`}
      onClick={() => onSelect(widget.id)}
      style={{
        left: l.x * colW, top: l.y * ROW_PX, width: Math.max(colW, l.w * colW + extraW), height: Math.max(ROW_PX, height + extraH),
        transform: dx || dy ? `translate(${dx}px, ${dy}px)` : undefined,
      }}
    >
      <div className="fwr-widget-card">
        <div className="fwr-widget-head" ref={move.setNodeRef} {...move.listeners} {...move.attributes} aria-label={t('reports.move')} data-testid={`dw-${widget.id}-handle`}>
          <HolderOutlined />
          <span className="fwr-widget-title">{title}</span>
          <span style={{ fontSize: 11, color: '#999', fontWeight: 400 }}>{l.w}×{l.h}</span>
        </div>
        <div className="fwr-widget-body">{body}</div>
      </div>
      <div className="fwr-resize" ref={resize.setNodeRef} {...resize.listeners} {...resize.attributes} aria-label={t('reports.resize')} data-testid={`dw-${widget.id}-resize`} />
    </div>
  );
}
