import * as core from '@actions/core';
import * as io from '@actions/io';
import { ActionError } from '../core/errors.js';
import type { Options } from '../action/inputs.js';
import type { Reporter } from '../core/reporter.js';
import { startBinary } from './binary.js';
import { containerLogs, removeContainer, startDocker } from './docker.js';
import { readTail, redact } from './log.js';
import { stopProcess } from './process.js';
import { waitForReady } from './ready.js';
import { STATE } from './state.js';

export interface StartedServer {
  url: string;
}

/** Lines of the server log a readiness failure shows, and the post step prints when the job failed. */
export const START_LOG_LINES = 50;
export const POST_LOG_LINES = 200;

/** Starts a Qdrant for the job (docker or binary) and waits until it is ready. */
export async function startServer(options: Options, reporter: Reporter): Promise<StartedServer> {
  if (options.start === 'none') return { url: options.url };
  const server =
    options.start === 'docker' ? await startDocker(options, reporter) : await startBinary(options, reporter);
  const timeoutMs = options.startTimeoutSeconds * 1000;
  const result = await waitForReady(server.url, { timeoutMs, exited: server.exited });
  if (result.ready) {
    reporter.info(
      `${server.label} is ready at ${server.url} after ${(result.elapsedMs / 1000).toFixed(1)} s.`,
    );
    return { url: server.url };
  }
  const tail = redact(await server.logTail(START_LOG_LINES), options.apiKey).trim() || '(the log is empty)';
  const what = result.exited
    ? `${server.label} stopped before it was ready: ${result.reason}.`
    : `${server.label} did not answer ${server.url}/readyz within ${options.startTimeoutSeconds} s (start-timeout; ${result.reason}). If the runner is just slow, raise start-timeout.`;
  throw new ActionError(`${what}\nLast ${START_LOG_LINES} lines of its log:\n${tail}`);
}

/** Called by the main step when it fails, so the post step prints the server's log. */
export function markMainFailed(): void {
  core.saveState(STATE.mainFailed, 'true');
}

function showLog(): boolean {
  return core.getState(STATE.mainFailed) === 'true' || process.env.QDRANT_SNAPSHOT_SHOW_LOG === 'true';
}

async function printLog(tail: string): Promise<void> {
  const apiKey = core.getInput('api-key') || undefined;
  const text = redact(tail, apiKey).trim() || '(the log is empty)';
  await core.group(`Qdrant server log (last ${POST_LOG_LINES} lines)`, async () => core.info(text));
}

/** Post step: shows the log (when the main step failed) and stops what startServer started, nothing else. */
export async function stopServer(): Promise<void> {
  const kind = core.getState(STATE.kind);
  if (!kind) return;
  // The server's log is printed below: the key stays masked even if the runner lost the main step's mask.
  const apiKey = core.getInput('api-key');
  if (apiKey) core.setSecret(apiKey);
  if (kind === 'docker') await stopDocker();
  else if (kind === 'binary') await stopBinary();
}

async function stopDocker(): Promise<void> {
  const container = core.getState(STATE.dockerContainer) || core.getState(STATE.dockerName);
  if (!container) return;
  const docker = await io.which('docker', false);
  if (!docker) throw new ActionError(`Cannot remove container ${container}: no 'docker' command on PATH.`);
  if (showLog()) await printLog(await containerLogs(docker, container, POST_LOG_LINES));
  const removed = await removeContainer(docker, container);
  core.info(
    removed
      ? `Removed the Qdrant container ${container}.`
      : `The Qdrant container ${container} was already gone.`,
  );
}

async function stopBinary(): Promise<void> {
  const pid = Number(core.getState(STATE.pid));
  const logFile = core.getState(STATE.logFile);
  if (showLog() && logFile) await printLog(await readTail(logFile, POST_LOG_LINES));
  if (!Number.isInteger(pid) || pid <= 0) return;
  const outcome = await stopProcess(pid, core.getState(STATE.pidMarker));
  const messages = {
    stopped: `Stopped Qdrant (pid ${pid}).`,
    killed: `Killed Qdrant (pid ${pid}); it did not stop on SIGTERM.`,
    gone: `Qdrant (pid ${pid}) had already exited.`,
    'not-ours': `Left pid ${pid} alone: it is no longer the Qdrant this action started.`,
  };
  core.info(messages[outcome]);
}
