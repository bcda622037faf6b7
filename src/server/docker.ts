import { randomBytes } from 'node:crypto';
import * as exec from '@actions/exec';
import * as io from '@actions/io';
import { ActionError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { lastLines } from './log.js';
import { LOOPBACK, pickPort } from './ports.js';
import type { LaunchedServer, StartOptions } from './state.js';

export const IMAGE = 'qdrant/qdrant';
/** The REST port inside the container. */
const CONTAINER_PORT = 6333;
const API_KEY_VAR = 'QDRANT__SERVICE__API_KEY';

/** The docker command on PATH with a reachable engine; fails suggesting start: binary otherwise. */
export async function findDocker(): Promise<string> {
  const docker = await io.which('docker', false);
  if (!docker) {
    throw new ActionError(
      "start: docker needs Docker, but there is no 'docker' command on this runner's PATH. Use start: binary, which downloads the Qdrant release binary instead (it works on Linux, macOS and Windows runners).",
    );
  }
  const version = await exec.getExecOutput(docker, ['version', '--format', '{{.Server.Version}}'], {
    silent: true,
    ignoreReturnCode: true,
  });
  if (version.exitCode !== 0) {
    const why = lastLines(`${version.stderr}${version.stdout}`.trim(), 3) || `exit code ${version.exitCode}`;
    throw new ActionError(
      `start: docker needs a running Docker engine, but 'docker version' failed (${why}). Start the engine, or use start: binary, which needs no Docker (GitHub's macOS runners have no Docker engine; its Windows runners run only Windows containers).`,
    );
  }
  return docker;
}

/** A container name no other job or step uses. */
export function containerName(env: NodeJS.ProcessEnv = process.env): string {
  const run = (env.GITHUB_RUN_ID ?? 'local').replace(/[^A-Za-z0-9_.-]/g, '');
  return `qdrant-snapshot-${run || 'local'}-${randomBytes(4).toString('hex')}`;
}

/** The `docker run` arguments: never the API key itself, only the name of the variable that carries it. */
export function runArgs(name: string, port: number, version: string, withApiKey: boolean): string[] {
  return [
    'run',
    '-d',
    '--name',
    name,
    '-p',
    `${LOOPBACK}:${port}:${CONTAINER_PORT}`,
    '-e',
    'QDRANT__TELEMETRY_DISABLED=true',
    ...(withApiKey ? ['-e', API_KEY_VAR] : []),
    `${IMAGE}:${version}`,
  ];
}

function childEnv(apiKey: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  if (apiKey) env[API_KEY_VAR] = apiKey;
  else delete env[API_KEY_VAR];
  return env;
}

const PORT_TAKEN = /port is already allocated|address already in use/i;

/** `docker run -d` of qdrant/qdrant:<version>, REST port published on the loopback; id saved for the post step. */
export async function startDocker(options: StartOptions, reporter: Reporter): Promise<LaunchedServer> {
  const docker = await findDocker();
  // The port can be taken between the check and `docker run`: one more try on another port then.
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort(CONTAINER_PORT);
    const name = containerName();
    options.record({ kind: 'docker', dockerName: name });
    reporter.info(`Starting Qdrant ${options.qdrantVersion} in Docker: container ${name}, port ${port}.`);
    const run = await exec.getExecOutput(
      docker,
      runArgs(name, port, options.qdrantVersion, !!options.apiKey),
      {
        ignoreReturnCode: true,
        env: childEnv(options.apiKey),
      },
    );
    if (run.exitCode === 0) {
      const id = run.stdout.trim().split(/\s+/).pop() ?? name;
      options.record({ dockerContainer: id });
      return launched(docker, id, name, port, options.qdrantVersion);
    }
    // A failed run can leave a created container behind; it carries our unique name, so it is ours to remove.
    await removeContainer(docker, name).catch(() => false);
    if (attempt < 2 && PORT_TAKEN.test(run.stderr)) continue;
    const why = lastLines(run.stderr.trim(), 5) || `exit code ${run.exitCode}`;
    throw new ActionError(
      `'docker run' of ${IMAGE}:${options.qdrantVersion} failed: ${why}\nCheck that qdrant-version names a published ${IMAGE} tag; on runners without Linux containers use start: binary.`,
    );
  }
}

function launched(docker: string, id: string, name: string, port: number, version: string): LaunchedServer {
  let lastCheck = 0;
  return {
    url: `http://${LOOPBACK}:${port}`,
    label: `Qdrant ${version} (container ${name})`,
    // `docker inspect` costs a process: once every 2 s is enough to stop waiting for a container that exited.
    exited: async () => {
      if (Date.now() - lastCheck < 2000) return undefined;
      lastCheck = Date.now();
      const state = await exec.getExecOutput(
        docker,
        ['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', id],
        { silent: true, ignoreReturnCode: true },
      );
      const [running, code] = state.stdout.trim().split(' ');
      return state.exitCode === 0 && running === 'false'
        ? `the container exited with code ${code}`
        : undefined;
    },
    logTail: (lines) => containerLogs(docker, id, lines),
  };
}

/** The last lines of a container's output (stdout and stderr). */
export async function containerLogs(docker: string, id: string, lines: number): Promise<string> {
  const logs = await exec.getExecOutput(docker, ['logs', '--tail', String(lines), id], {
    silent: true,
    ignoreReturnCode: true,
  });
  return lastLines(`${logs.stdout}${logs.stderr}`.trim(), lines);
}

/** `docker rm -f -v`; false when there was no such container. */
export async function removeContainer(docker: string, id: string): Promise<boolean> {
  const result = await exec.getExecOutput(docker, ['rm', '-f', '-v', id], {
    silent: true,
    ignoreReturnCode: true,
  });
  if (result.exitCode === 0) return true;
  if (/no such container/i.test(result.stderr)) return false;
  throw new Error(`'docker rm -f -v ${id}' failed: ${lastLines(result.stderr.trim(), 3)}`);
}
