import * as io from '@actions/io';
import { ActionError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { containerLogs, removeContainer } from './docker.js';
import { readTail, redact } from './log.js';
import { stopProcess } from './process.js';
import type { ServerState } from './state.js';

/** Lines of the server log the teardown prints when asked to (the job failed). */
export const STOP_LOG_LINES = 200;

export interface StopOptions {
  /** Print the last lines of the server's log first. */
  showLog: boolean;
  /** Replaced by *** in the printed log. */
  apiKey?: string;
}

/** Stops what startServer started (per its recorded state), and nothing else. */
export async function stopServer(
  state: ServerState,
  options: StopOptions,
  reporter: Reporter,
): Promise<void> {
  const printLog = async (tail: string) => {
    const text = redact(tail, options.apiKey).trim() || '(the log is empty)';
    await reporter.group(`Qdrant server log (last ${STOP_LOG_LINES} lines)`, async (scoped) =>
      scoped.info(text),
    );
  };
  if (state.kind === 'docker') {
    const container = state.dockerContainer || state.dockerName;
    if (!container) return;
    const docker = await io.which('docker', false);
    if (!docker) throw new ActionError(`Cannot remove container ${container}: no 'docker' command on PATH.`);
    if (options.showLog) await printLog(await containerLogs(docker, container, STOP_LOG_LINES));
    const removed = await removeContainer(docker, container);
    reporter.info(
      removed
        ? `Removed the Qdrant container ${container}.`
        : `The Qdrant container ${container} was already gone.`,
    );
  } else if (state.kind === 'binary') {
    if (options.showLog && state.logFile) await printLog(await readTail(state.logFile, STOP_LOG_LINES));
    const pid = Number(state.pid);
    if (!Number.isInteger(pid) || pid <= 0) return;
    const outcome = await stopProcess(pid, state.pidMarker ?? '');
    const messages = {
      stopped: `Stopped Qdrant (pid ${pid}).`,
      killed: `Killed Qdrant (pid ${pid}); it did not stop on SIGTERM.`,
      gone: `Qdrant (pid ${pid}) had already exited.`,
      'not-ours': `Left pid ${pid} alone: it is no longer the Qdrant this action started.`,
    };
    reporter.info(messages[outcome]);
  }
}
