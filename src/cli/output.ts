/** Where a command writes: results to stdout (pipeable), progress and notes to stderr. */
export interface Output {
  result(line: string): void;
  info(line: string): void;
}

/**
 * Lines to a stream of the process. When the reader goes away (`backprop predict ... | head`:
 * EPIPE), later lines are dropped quietly instead of ending in a stack trace, and the command runs
 * to its end: a training run whose output pipe closed still saves its model.
 */
function lines(stream: NodeJS.WriteStream): (line: string) => void {
  let closed = false;
  let watching = false;
  return (line) => {
    if (!watching) {
      watching = true;
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
        closed = true;
      });
    }
    if (!closed) stream.write(line + '\n');
  };
}

export const consoleOutput: Output = {
  result: lines(process.stdout),
  info: lines(process.stderr),
};

/**
 * A whole number with a comma every three digits, as toLocaleString('en-US') writes it, but
 * without paging in ICU's locale data (~5 MB of resident memory, a training run's peak).
 */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
