/** The library's errors in the page's words. */

/**
 * The page's words for a library error: the divergence error names parameters as the library does
 * (layers.0.weight) and advises scaling the inputs, which the page cannot do; here it names W(1)
 * and says what the page offers.
 */
export function pageMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if ((e as { code?: string }).code !== 'DIVERGED') return message;
  const named = message
    .replace(/layers\.(\d+)\.weight/g, (_, i: string) => `W(${Number(i) + 1})`)
    .replace(/layers\.(\d+)\.bias/g, (_, i: string) => `b(${Number(i) + 1})`);
  const what = /the (.*?) became (.*?)(?: at epoch (\d+), step (\d+))?;/.exec(named);
  if (!what) return named;
  // (the library counts epochs and steps from 1, as the page does)
  const at = what[3] !== undefined ? ` in epoch ${what[3]} (batch ${what[4]})` : '';
  return `Training diverged${at}: the ${what[1]} became ${what[2]}. The weights are those before that step. Lower the learning rate η (it applies at once), or press Reset.`;
}
