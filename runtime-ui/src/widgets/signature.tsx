/**
 * The signature field: a canvas drawn on with pointer events (mouse, pen, touch — `touch-action:
 * none` keeps a finger from scrolling the page), saved as a PNG data URL when a stroke ends;
 * clear to start again. The server accepts PNG only (engine/src/files/signature.ts).
 */
import { useEffect, useRef, useState } from 'react';
import { Button, Space, Typography } from 'antd';
import { ClearOutlined } from '@ant-design/icons';
import type { WidgetProps } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import './i18n';

/** Well under the field's 200 000 characters. */
const MAX_DATA_URL = 190_000;
const HEIGHT = 180;

/** The drawing as a PNG data URL at most `MAX_DATA_URL` long (scaled down if it must be). */
function exportPng(canvas: HTMLCanvasElement): string {
  let scale = 1 / (window.devicePixelRatio || 1);
  for (let i = 0; i < 6; i++) {
    const out = document.createElement('canvas');
    out.width = Math.max(1, Math.round(canvas.width * scale));
    out.height = Math.max(1, Math.round(canvas.height * scale));
    out.getContext('2d')!.drawImage(canvas, 0, 0, out.width, out.height);
    const url = out.toDataURL('image/png');
    if (url.length <= MAX_DATA_URL) return url;
    scale *= 0.7;
  }
  return canvas.toDataURL('image/png');
}

export function SignaturePad(props: { value?: string | null; onChange: (v: string | undefined) => void; disabled?: boolean; id?: string; name: string }) {
  const { t } = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const drawing = useRef<{ id: number; x: number; y: number } | null>(null);
  const [editing, setEditing] = useState(!props.value);
  const [drawn, setDrawn] = useState(false);
  const drawnRef = useRef(false);
  drawnRef.current = drawn;
  // A value that arrives after the first render (a record loading) shows as the image.
  useEffect(() => {
    if (props.value && !drawnRef.current) setEditing(false);
  }, [props.value]);

  // The canvas as wide as its box, in device pixels (sharp lines on phones).
  useEffect(() => {
    if (!editing || props.disabled) return;
    const c = canvas.current;
    const b = box.current;
    if (!c || !b) return;
    const size = () => {
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(200, Math.floor(b.clientWidth));
      // Resizing clears a canvas: once something is drawn, CSS scales it instead.
      if (c.width === Math.round(width * ratio) || drawnRef.current) return;
      c.width = Math.round(width * ratio);
      c.height = Math.round(HEIGHT * ratio);
      c.style.width = `${width}px`;
      c.style.height = `${HEIGHT}px`;
      const ctx = c.getContext('2d')!;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.strokeStyle = '#1a1a1a';
      setDrawn(false);
    };
    size();
    const ro = new ResizeObserver(size);
    ro.observe(b);
    return () => ro.disconnect();
  }, [editing, props.disabled]);

  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const onDown = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (props.disabled) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = point(e);
    drawing.current = { id: e.pointerId, ...p };
    const ctx = e.currentTarget.getContext('2d')!;
    ctx.beginPath();
    ctx.arc(p.x, p.y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fill();
  };
  const onMove = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const d = drawing.current;
    if (!d || d.id !== e.pointerId) return;
    e.preventDefault();
    const ctx = e.currentTarget.getContext('2d')!;
    // Coalesced events keep fast strokes smooth.
    const events = typeof e.nativeEvent.getCoalescedEvents === 'function' ? e.nativeEvent.getCoalescedEvents() : [];
    const r = e.currentTarget.getBoundingClientRect();
    const pts = events.length ? events.map((x) => ({ x: x.clientX - r.left, y: x.clientY - r.top })) : [point(e)];
    ctx.beginPath();
    ctx.moveTo(d.x, d.y);
    for (const p of pts) ctx.lineTo(p.x, p.y);
    ctx.stroke();
    const last = pts[pts.length - 1]!;
    drawing.current = { id: d.id, ...last };
    setDrawn(true);
  };
  const onUp = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!drawing.current || drawing.current.id !== e.pointerId) return;
    drawing.current = null;
    setDrawn(true);
    props.onChange(exportPng(e.currentTarget));
  };
  const clear = () => {
    const c = canvas.current;
    if (c) c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    setDrawn(false);
    setEditing(true);
    props.onChange(undefined);
  };

  if (props.disabled) return <SignatureView value={props.value} name={props.name} />;
  if (!editing && props.value) {
    return (
      <Space direction="vertical" id={props.id}>
        <SignatureView value={props.value} name={props.name} />
        <Button size="small" icon={<ClearOutlined />} onClick={clear} data-testid={`signature-again-${props.name}`}>{t('files.signAgain')}</Button>
      </Space>
    );
  }
  return (
    <div ref={box} style={{ width: '100%', maxWidth: 640 }} id={props.id}>
      <canvas
        ref={canvas}
        data-testid={`signature-pad-${props.name}`}
        aria-label={t('files.sign')}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerCancel={onUp}
        style={{ display: 'block', touchAction: 'none', border: '1px dashed #bfbfbf', borderRadius: 6, background: '#fff', cursor: 'crosshair', height: HEIGHT, width: '100%' }}
      />
      <div style={{ display: 'flex', alignItems: 'center', marginTop: 4 }}>
        <Typography.Text type="secondary" style={{ fontSize: 12, flex: 1 }}>{drawn ? t('files.signSaved') : t('files.sign')}</Typography.Text>
        <Button size="small" icon={<ClearOutlined />} onClick={clear} data-testid={`signature-clear-${props.name}`}>{t('files.signClear')}</Button>
      </div>
    </div>
  );
}

/** A stored signature as an image (PNG data URLs only). */
export function SignatureView({ value, name }: { value?: unknown; name: string }) {
  const { t } = useTranslation();
  if (typeof value !== 'string' || !value.startsWith('data:image/png;base64,')) return <Typography.Text type="secondary">{t('files.signEmpty')}</Typography.Text>;
  return <img src={value} alt={t('files.signSaved')} data-testid={`signature-image-${name}`} style={{ maxWidth: '100%', maxHeight: 140, background: '#fff', border: '1px solid #f0f0f0', borderRadius: 4 }} />;
}

/** rjsf widget for `signature` fields. */
export function SignatureWidget(p: WidgetProps) {
  return <SignaturePad id={p.id} name={p.name} value={p.value} disabled={p.disabled || p.readonly} onChange={(v) => p.onChange(v)} />;
}
