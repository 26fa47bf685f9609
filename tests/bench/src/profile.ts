// BENCH_PROFILE=<dir>: the services run with V8's CPU profiler; after the run, the functions that
// used the most CPU in each process are printed (self time), and the .cpuprofile files are kept
// in <dir> for Chrome DevTools or speedscope.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export function profileArgs(dir: string | undefined, name: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  return typeof value === 'object' && value !== null && 'nodes' in value && 'samples' in value && 'timeDeltas' in value;
}

/** Self time per function (ms), heaviest first, for every profile in `dir`. */
export function summarizeProfiles(dir: string, top = 15): string[] {
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    if (!isCpuProfile(profile)) continue;
    const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, index) => {
      const node = byNode.get(id);
      const ms = (profile.timeDeltas[index] ?? 0) / 1000;
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url
        ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
        : '';
      const key = `${functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + ms);
      if (functionName !== '(idle)') total += ms;
    });
    lines.push(`${file}: ${total.toFixed(0)} ms on CPU`);
    for (const [key, ms] of [...self]
      .filter(([name]) => !name.startsWith('(idle)'))
      .toSorted((a, b) => b[1] - a[1])
      .slice(0, top))
      lines.push(
        `  ${((ms / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${key}`,
      );
  }
  return lines;
}
