// Runs a command as a measured process: wall time (from spawn to exit), peak RSS and CPU time of the
// process itself (GNU time -v when /usr/bin/time exists, else /proc/<pid>/status VmHWM polled), and
// every output line with the time it arrived, so a run can be split into phases by its log lines.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
let gnuTime;

/** True when /usr/bin/time is GNU time (it knows -v and -o; BusyBox's does not). */
export function hasGnuTime() {
  if (gnuTime === undefined) {
    const r = existsSync(GNU_TIME) ? spawnSync(GNU_TIME, ['--version'], { encoding: 'utf8' }) : undefined;
    gnuTime = Boolean(r && /GNU/.test(`${r.stdout ?? ''}${r.stderr ?? ''}`));
  }
  return gnuTime;
}

/**
 * @typedef {{ t: number, stream: 'stdout' | 'stderr', text: string }} Line
 * @typedef {{ ms: number, code: number | null, signal: string | null, maxRssKiB: number | undefined,
 *   userS: number | undefined, sysS: number | undefined, lines: Line[], stdout: string, stderr: string }} RunResult
 */

/**
 * Runs `cmd args` to completion.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: Record<string, string | undefined>, cwd?: string, timeoutMs?: number, check?: boolean }} [options]
 * @returns {Promise<RunResult>}
 */
export async function measure(cmd, args, options = {}) {
  const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const wrapped = hasGnuTime() ? [GNU_TIME, ['-v', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const started = performance.now();
  const child = spawn(wrapped[0], wrapped[1], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {Line[]} */
  const lines = [];
  const buffers = { stdout: '', stderr: '' };
  const all = { stdout: '', stderr: '' };
  for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk) => {
      const t = performance.now() - started;
      all[stream] += chunk;
      buffers[stream] += chunk;
      const parts = buffers[stream].split('\n');
      buffers[stream] = parts.pop() ?? '';
      for (const text of parts) lines.push({ t, stream, text });
    });
  }
  // Without GNU time: the high-water mark of the process's RSS, polled (the last poll is close to the end).
  let hwmKiB;
  let poll;
  if (!hasGnuTime()) {
    poll = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) hwmKiB = Math.max(hwmKiB ?? 0, Number(m[1]));
      } catch {}
    }, 20);
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60_000);
  const [code, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  const ms = performance.now() - started;
  clearTimeout(timer);
  if (poll) clearInterval(poll);
  for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
    if (buffers[stream]) lines.push({ t: ms, stream, text: buffers[stream] });
  }
  let maxRssKiB = hwmKiB;
  let userS;
  let sysS;
  let exitCode = code;
  if (hasGnuTime()) {
    const report = await readFile(timeFile, 'utf8').catch(() => '');
    await rm(timeFile, { force: true });
    const num = (re) => {
      const m = re.exec(report);
      return m ? Number(m[1]) : undefined;
    };
    maxRssKiB = num(/Maximum resident set size \(kbytes\): (\d+)/);
    userS = num(/User time \(seconds\): ([\d.]+)/);
    sysS = num(/System time \(seconds\): ([\d.]+)/);
    // GNU time exits with the command's status, or prints "Command terminated by signal N".
    const sig = /Command terminated by signal (\d+)/.exec(report);
    if (sig) exitCode = 128 + Number(sig[1]);
  }
  const result = {
    ms,
    code: exitCode,
    signal,
    maxRssKiB,
    userS,
    sysS,
    lines,
    stdout: all.stdout,
    stderr: all.stderr,
  };
  if (options.check !== false && (exitCode !== 0 || signal)) {
    const tail = `${all.stderr}\n${all.stdout}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${exitCode ?? signal}:\n${tail}`);
  }
  return result;
}

/** Time (ms since spawn) of the first output line matching `re`, or undefined. */
export function lineTime(result, re) {
  return result.lines.find((l) => re.test(l.text))?.t;
}
