import { availableParallelism, cpus, loadavg } from 'node:os';
import { Bench } from 'tinybench';

/**
 * Runs contenders side by side with tinybench and prints markdown tables: per-task latency and
 * rate, then the ratios the project targets. The machine is shared, so one long run would be at
 * the mercy of whatever else runs at that moment: instead every round runs each task briefly, in
 * a rotated order, and each ratio is the median of its per-round ratios (both sides measured
 * within the same second or so).
 *
 * Environment: `BENCH_ROUNDS` (default 7) and `BENCH_TIME_MS` per task per round (default 300).
 */

/** One ratio to report: `numerator` latency divided by `denominator` latency. */
export interface RatioSpec {
  label: string;
  numerator: string;
  denominator: string;
  /** The target, when there is one: the ratio must be at most `max` or at least `min`. */
  target?: { max?: number; min?: number };
}

/** What to compare. */
export interface Comparison {
  title: string;
  tasks: Record<string, () => unknown>;
  ratios: RatioSpec[];
}

/** The outcome of one comparison, also printed. */
export interface ComparisonResult {
  title: string;
  tasks: { name: string; medianMicroseconds: number; meanMicroseconds: number; opsPerSecond: number }[];
  ratios: { label: string; value: number; target?: { max?: number; min?: number }; met?: boolean }[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The machine line printed above results. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `node ${process.version}, ${process.platform} ${process.arch}, ${availableParallelism()} CPUs (${cpu}), load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`;
}

/** Runs `comparison` and prints its tables. */
export async function compare(comparison: Comparison): Promise<ComparisonResult> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  const time = Number(process.env.BENCH_TIME_MS ?? 300);
  const names = Object.keys(comparison.tasks);
  const medians = new Map<string, number[]>(names.map((name) => [name, []]));
  const means = new Map<string, number[]>(names.map((name) => [name, []]));

  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time, warmupTime: 100, throws: true });
    const order = names.map((_, index) => names[(index + round) % names.length]!);
    for (const name of order) bench.add(name, comparison.tasks[name]!);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      medians.get(task.name)!.push(result.latency.p50);
      means.get(task.name)!.push(result.latency.mean);
    }
  }

  const tasks = names.map((name) => {
    const medianMs = median(medians.get(name)!);
    return { name, medianMicroseconds: medianMs * 1000, meanMicroseconds: median(means.get(name)!) * 1000, opsPerSecond: 1000 / medianMs };
  });
  const ratios = comparison.ratios.map((spec) => {
    const perRound = medians.get(spec.numerator)!.map((value, index) => value / medians.get(spec.denominator)![index]!);
    const value = median(perRound);
    const met =
      spec.target === undefined
        ? undefined
        : (spec.target.max === undefined || value <= spec.target.max) && (spec.target.min === undefined || value >= spec.target.min);
    return { label: spec.label, value, ...(spec.target ? { target: spec.target } : {}), ...(met === undefined ? {} : { met }) };
  });

  const lines = [
    `### ${comparison.title}`,
    '',
    `${rounds} rounds x ${time} ms per task; ${machine()}`,
    '',
    '| task | median latency (µs) | mean latency (µs) | ops/s (from median) |',
    '| --- | ---: | ---: | ---: |',
    ...tasks.map((task) => `| ${task.name} | ${task.medianMicroseconds.toFixed(1)} | ${task.meanMicroseconds.toFixed(1)} | ${Math.round(task.opsPerSecond).toLocaleString('en-US')} |`),
    '',
    '| ratio (median of per-round ratios) | value | target | met |',
    '| --- | ---: | --- | --- |',
    ...ratios.map(
      (ratio) =>
        `| ${ratio.label} | ${ratio.value.toFixed(2)}x | ${describeTarget(ratio.target)} | ${ratio.met === undefined ? '' : ratio.met ? 'yes' : '**no**'} |`,
    ),
    '',
  ];
  console.log(lines.join('\n'));
  return { title: comparison.title, tasks, ratios };
}

function describeTarget(target: { max?: number; min?: number } | undefined): string {
  if (target === undefined) return '';
  if (target.max !== undefined) return `≤ ${target.max}x`;
  return `≥ ${target.min}x`;
}
