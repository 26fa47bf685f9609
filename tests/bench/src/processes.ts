import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const distDir = path.resolve(__dirname);

/** Starts one of the built entry points (dist/<name>.js) as a child process. */
export function startScript(name: string, env: Record<string, string>, preload = false): ChildProcess {
  return fork(path.join(distDir, `${name}.js`), [], {
    env: { ...process.env, ...env },
    execArgv: preload ? ['--require', path.join(distDir, 'instrument.js')] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Polls a URL until it answers 200. */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the summed RSS of some processes every 200 ms; returns the peak when stopped. */
export function sampleRss(pids: (number | undefined)[]): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, pids.reduce<number>((sum, pid) => sum + rssBytes(pid), 0));
  }, 200);
  return () => {
    clearInterval(timer);
    return peak;
  };
}
