/**
 * A progress display for long CLI jobs, on stderr: a bar redrawn in place (\r) when stderr is a
 * terminal, otherwise one line every few seconds (logs, CI, pipes). No dependency.
 */

export interface Progress {
  /** The step under way (a label), how far it is (done of total), records written so far, seconds since the start. */
  phase: string;
  done: number;
  total: number;
  records?: number;
  seconds?: number;
}

export interface ProgressBar {
  update(p: Progress): void;
  /** Clear the bar (TTY) so what follows starts on a clean line. */
  end(): void;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr, opts: { width?: number; intervalMs?: number; tty?: boolean } = {}): ProgressBar {
  const tty = opts.tty ?? !!stream.isTTY;
  const width = opts.width ?? 28;
  const interval = opts.intervalMs ?? (tty ? 100 : 5000);
  let last = 0;
  let lastPhase = '';
  let drawn = false;
  const line = (p: Progress) => {
    const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
    const rate = p.records != null && p.seconds ? ` ${Math.round(p.records / p.seconds)} records/s` : '';
    const recs = p.records != null ? ` ${p.records} records` : '';
    const time = p.seconds != null ? ` ${p.seconds.toFixed(1)}s` : '';
    if (!tty) return `${p.phase} ${p.done}/${p.total} (${Math.round(frac * 100)}%)${recs}${rate}${time}`;
    const full = Math.round(frac * width);
    return `${p.phase.padEnd(14)} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(frac * 100)).padStart(3)}% ${p.done}/${p.total}${recs}${rate}`;
  };
  return {
    update(p) {
      const now = Date.now();
      const phaseEnd = p.done >= p.total;
      // non-TTY: a line when a phase ends and every `interval` in between; TTY: redraw at most every `interval`
      if (!(phaseEnd || now - last >= interval || (tty && p.phase !== lastPhase))) return;
      if (!tty && phaseEnd && p.phase === lastPhase && last && p.done === 0) return;
      last = now;
      lastPhase = p.phase;
      if (tty) {
        stream.write(`\r${line(p)}\x1b[K`);
        drawn = true;
        if (phaseEnd) {
          stream.write('\n');
          drawn = false;
        }
      } else stream.write(line(p) + '\n');
    },
    end() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
