import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What tells this process apart from a later one given the same pid: its start time (Linux: field 22 of
 * /proc/<pid>/stat; macOS: `ps -o lstart`; Windows: Get-Process StartTime). '' when unknown or gone.
 */
export async function processMarker(pid: number): Promise<string> {
  try {
    if (process.platform === 'linux') {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    }
    if (process.platform === 'win32') {
      const command = `(Get-Process -Id ${pid}).StartTime.ToFileTimeUtc()`;
      const { stdout } = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', command], {
        windowsHide: true,
      });
      return stdout.trim();
    }
    const { stdout } = await run('ps', ['-o', 'lstart=', '-p', String(pid)]);
    return stdout.trim();
  } catch {
    return '';
  }
}

/** True while the process exists and is not a zombie (a zombie is dead, just not reaped). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  // The server was started detached, as the leader of its own process group: the group takes any helper along.
  try {
    process.kill(-pid, name);
  } catch {
    try {
      process.kill(pid, name);
    } catch {}
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await sleep(100);
  }
  return !(await isAlive(pid));
}

export type StopOutcome = 'stopped' | 'killed' | 'gone' | 'not-ours';

/**
 * Stops the process `pid` if it is still the one whose marker was saved: SIGTERM, then SIGKILL after
 * `graceMs` (Windows: taskkill of the tree). Never signals a process it cannot identify as its own.
 */
export async function stopProcess(pid: number, marker: string, graceMs = 5000): Promise<StopOutcome> {
  if (!(await isAlive(pid))) return 'gone';
  if (marker && (await processMarker(pid)) !== marker) return 'not-ours';
  if (process.platform === 'win32') {
    await run('taskkill', ['/PID', String(pid), '/T', '/F'], { windowsHide: true }).catch(() => undefined);
    await waitGone(pid, graceMs);
    return 'killed';
  }
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return 'stopped';
  signal(pid, 'SIGKILL');
  await waitGone(pid, 2000);
  return 'killed';
}
