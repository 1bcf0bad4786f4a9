/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export interface Progress {
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

export function createProgress(stream: NodeJS.WritableStream, label: string, total: number | null): Progress {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  if (!tty) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  const draw = (done: number, note: string | undefined): void => {
    const width = 30;
    const fraction = total === null || total === 0 ? null : Math.min(1, done / total);
    const bar = fraction === null ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, ' ')}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    stream.write(`\r\x1b[2K${label} ${bar}${done.toLocaleString('en-US')}${total === null ? '' : `/${total.toLocaleString('en-US')}`}${note === undefined ? '' : ` ${note}`}`);
  };
  return {
    update(done, note) {
      // Redraw at most ten times a second; progress is display only.
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      draw(done, note);
    },
    finish(note) {
      stream.write(`\r\x1b[2K${note === undefined ? '' : `${label} ${note}\n`}`);
    },
  };
}
