/**
 * The React Flow canvas over the workflow document: nodes at the positions the document keeps,
 * edges from the branch handle they leave by. Moving, connecting and deleting edit the document
 * (so undo/redo covers them); node sizes React Flow measures are kept beside it. Problems and a
 * dry run's path are drawn on the nodes and edges they concern.
 */
import { memo, useCallback, useMemo, useState } from 'react';
import {
  Background, Controls, MarkerType, ReactFlow, useReactFlow,
  type Connection, type Edge, type EdgeChange, type NodeChange, type NodeTypes,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { label } from '../i18n';
import { DRAG_TYPE } from './NodePalette';
import { WorkflowNode, type WfNode } from './WorkflowNode';
import type { Catalogue } from './catalogue';
import { branchesOf, branchLabel, connect, drawnPositions, removeItems, type DryRunResult, type PlacedErrors, type WorkflowDef } from './model';

const NODE_TYPES: NodeTypes = { wf: WorkflowNode };

export type Selection = { kind: 'node' | 'edge'; id: string } | null;

export const FlowCanvas = memo(function FlowCanvas({ doc, catalogue, errors, serverBranches, path, selection, elseText, onSelect, apply, onAdd }: {
  doc: WorkflowDef; catalogue: Catalogue; errors: PlacedErrors; serverBranches: Record<string, string[]>;
  path: DryRunResult | null; selection: Selection; elseText: string;
  onSelect: (s: Selection) => void;
  apply: (update: (d: WorkflowDef) => WorkflowDef, tag?: string) => void;
  onAdd: (type: string, position?: { x: number; y: number }) => void;
}) {
  const flow = useReactFlow();
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});

  const steps = useMemo(() => {
    const m = new Map<string, { steps: number[]; notes: string[] }>();
    path?.path.forEach((s, i) => {
      const e = m.get(s.node) ?? { steps: [], notes: [] };
      e.steps.push(i + 1);
      e.notes.push(s.note);
      m.set(s.node, e);
    });
    return m;
  }, [path]);
  const takenEdges = useMemo(() => new Set((path?.path ?? []).map((s) => s.edge).filter(Boolean) as string[]), [path]);

  const positions = useMemo(() => drawnPositions(doc), [doc.nodes, doc.edges]);
  const nodes: WfNode[] = useMemo(() => doc.nodes.map((n) => {
    const info = catalogue.byType.get(n.type);
    const s = steps.get(n.id);
    return {
      id: n.id,
      type: 'wf' as const,
      position: positions.get(n.id)!,
      selected: selection?.kind === 'node' && selection.id === n.id,
      ...(measured[n.id] ? { measured: measured[n.id] } : {}),
      data: {
        node: n, info,
        branches: branchesOf(n, info, serverBranches[n.id]).map((b) => ({ key: b, text: branchLabel(n, b, label, elseText) })),
        errors: errors.byNode[n.id] ?? [],
        steps: s?.steps ?? [], notes: s?.notes ?? [],
      },
    };
  }), [doc.nodes, positions, catalogue, steps, selection, measured, serverBranches, errors, elseText]);

  const edges: Edge[] = useMemo(() => {
    const byId = new Map(doc.nodes.map((n) => [n.id, n]));
    return doc.edges.map((e) => {
      const bad = (errors.byEdge[e.id] ?? []).length > 0;
      const taken = takenEdges.has(e.id);
      const text = e.label ? label(e.label) : e.branch ? branchLabel(byId.get(e.source), e.branch, label, elseText) : undefined;
      return {
        id: e.id, source: e.source, target: e.target, sourceHandle: e.branch ?? null,
        selected: selection?.kind === 'edge' && selection.id === e.id,
        label: text, animated: taken,
        className: [taken ? 'fww-edge-path' : '', bad ? 'fww-edge-error' : ''].filter(Boolean).join(' ') || undefined,
        style: bad ? { stroke: '#ff4d4f', strokeWidth: 2 } : taken ? { stroke: '#fa541c', strokeWidth: 3 } : undefined,
        markerEnd: { type: MarkerType.ArrowClosed, color: bad ? '#ff4d4f' : taken ? '#fa541c' : undefined },
      };
    });
  }, [doc.edges, doc.nodes, errors, takenEdges, selection, elseText]);

  const onNodesChange = useCallback((changes: NodeChange<WfNode>[]) => {
    const moved = new Map<string, { x: number; y: number }>();
    const removed = new Set<string>();
    const sizes: Record<string, { width: number; height: number }> = {};
    for (const c of changes) {
      if (c.type === 'position' && c.position) moved.set(c.id, { x: Math.round(c.position.x), y: Math.round(c.position.y) });
      else if (c.type === 'remove') removed.add(c.id);
      else if (c.type === 'dimensions' && c.dimensions) sizes[c.id] = c.dimensions;
    }
    if (Object.keys(sizes).length) setMeasured((m) => ({ ...m, ...sizes }));
    if (moved.size) apply((d) => ({ ...d, nodes: d.nodes.map((n) => (moved.has(n.id) ? { ...n, position: moved.get(n.id)! } : n)) }), `move:${[...moved.keys()].join(',')}`);
    if (removed.size) {
      apply((d) => removeItems(d, removed, new Set()));
      onSelect(null);
    }
  }, [apply, onSelect]);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
    if (removed.size) {
      apply((d) => removeItems(d, new Set(), removed));
      onSelect(null);
    }
  }, [apply, onSelect]);

  const onConnect = useCallback((c: Connection) => {
    apply((d) => {
      const source = d.nodes.find((n) => n.id === c.source);
      return connect(d, c.source, c.target, c.sourceHandle ?? undefined, source ? catalogue.byType.get(source.type) : undefined);
    });
  }, [apply, catalogue]);

  return (
    <div
      className="fww-canvas" data-testid="wf-canvas"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_TYPE)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'move';
        }
      }}
      onDrop={(e) => {
        const type = e.dataTransfer.getData(DRAG_TYPE);
        if (!type) return;
        e.preventDefault();
        onAdd(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      }}
    >
      <ReactFlow<WfNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeClick={(_e, n) => onSelect({ kind: 'node', id: n.id })}
        onEdgeClick={(_e, ed) => onSelect({ kind: 'edge', id: ed.id })}
        onPaneClick={() => onSelect(null)}
        deleteKeyCode={['Delete', 'Backspace']}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.2}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
});
