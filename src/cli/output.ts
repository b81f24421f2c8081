/** Where a command writes: results to stdout (pipeable), progress and notes to stderr. */
export interface Output {
  result(line: string): void;
  info(line: string): void;
}

export const consoleOutput: Output = {
  result: (line) => process.stdout.write(line + '\n'),
  info: (line) => process.stderr.write(line + '\n'),
};
