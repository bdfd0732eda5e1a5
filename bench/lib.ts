/** What every benchmark here shares: its numeric flags, medians and timings. */

/** The number after `--name` on the command line, or the fallback. */
export function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a task and gives its wall-clock milliseconds with its result. */
export async function timed<T>(task: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await task();
  return [performance.now() - start, result];
}
