import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tc from '@actions/tool-cache';
import { ActionError, describeError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { readTail } from './log.js';
import { LOOPBACK, pickPort } from './ports.js';
import { processMarker } from './process.js';
import type { LaunchedServer, StartOptions } from './state.js';

export const DEFAULT_DOWNLOAD_BASE_URL = 'https://github.com/qdrant/qdrant/releases/download';
/** Tool-cache name; the version is stored without its leading v. */
export const TOOL_NAME = 'qdrant';

/** The release archive Qdrant publishes for a platform and architecture (see its release-artifacts workflow). */
export function releaseAsset(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string {
  const assets: Record<string, string> = {
    'linux/x64': 'qdrant-x86_64-unknown-linux-musl.tar.gz',
    'linux/arm64': 'qdrant-aarch64-unknown-linux-musl.tar.gz',
    'darwin/x64': 'qdrant-x86_64-apple-darwin.tar.gz',
    'darwin/arm64': 'qdrant-aarch64-apple-darwin.tar.gz',
    'win32/x64': 'qdrant-x86_64-pc-windows-msvc.zip',
  };
  const asset = assets[`${platform}/${arch}`];
  if (!asset) {
    throw new ActionError(
      `start: binary has no Qdrant release for ${platform}/${arch} (releases exist for Linux x64 and arm64, macOS x64 and arm64, Windows x64); use start: docker or a services: container with start: none.`,
    );
  }
  return asset;
}

export function releaseUrl(version: string, baseUrl: string | undefined, asset: string): string {
  return `${(baseUrl ?? DEFAULT_DOWNLOAD_BASE_URL).replace(/\/+$/, '')}/${version}/${asset}`;
}

const EXECUTABLE = process.platform === 'win32' ? 'qdrant.exe' : 'qdrant';

function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The qdrant executable in an extracted archive: at its top or one folder down. */
async function findExecutable(dir: string): Promise<string | undefined> {
  const candidates = [path.join(dir, EXECUTABLE)];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) candidates.push(path.join(dir, entry.name, EXECUTABLE));
  }
  for (const candidate of candidates) if (await isFile(candidate)) return candidate;
  return undefined;
}

/** The qdrant executable of `version`: from the tool cache, or downloaded, extracted and cached. */
export async function installQdrant(
  version: string,
  baseUrl: string | undefined,
  reporter: Reporter,
): Promise<string> {
  const toolVersion = version.replace(/^v/, '');
  const cached = tc.find(TOOL_NAME, toolVersion);
  const found = cached ? await findExecutable(cached) : undefined;
  if (found) {
    reporter.info(`Using Qdrant ${version} from the tool cache (${cached}).`);
    return found;
  }
  const asset = releaseAsset();
  const url = releaseUrl(version, baseUrl, asset);
  reporter.info(`Downloading Qdrant ${version} from ${url}.`);
  let archive: string;
  try {
    archive = await tc.downloadTool(url);
  } catch (error) {
    throw new ActionError(
      `Downloading Qdrant ${version} from ${url} failed: ${describeError(error)}. Check that qdrant-version names a published release (https://github.com/qdrant/qdrant/releases)${baseUrl ? ` and that download-base-url serves ${version}/${asset}` : ''}.`,
      { cause: error },
    );
  }
  let extracted: string;
  try {
    extracted = asset.endsWith('.zip') ? await tc.extractZip(archive) : await tc.extractTar(archive);
  } catch (error) {
    throw new ActionError(`Extracting ${asset} from ${url} failed: ${describeError(error)}.`, {
      cause: error,
    });
  }
  if (!(await findExecutable(extracted))) {
    throw new ActionError(`${url} holds no ${EXECUTABLE}; is it a Qdrant release archive?`);
  }
  const dir = await tc.cacheDir(extracted, TOOL_NAME, toolVersion);
  const executable = (await findExecutable(dir))!;
  if (process.platform !== 'win32') await chmod(executable, 0o755);
  return executable;
}

/** The job's environment minus what Qdrant has no business seeing: step inputs (secrets among them) and tokens. */
export function serverEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([name]) => !/^(INPUT_|ACTIONS_)/i.test(name) && !/^GITHUB_TOKEN$/i.test(name),
    ),
  );
}

/** Downloads (or reuses) the release binary and starts it detached, storage and log under RUNNER_TEMP. */
export async function startBinary(options: StartOptions, reporter: Reporter): Promise<LaunchedServer> {
  const executable = await installQdrant(options.qdrantVersion, options.downloadBaseUrl, reporter);
  const temp = process.env.RUNNER_TEMP || os.tmpdir();
  await mkdir(temp, { recursive: true });
  const root = await mkdtemp(path.join(temp, 'qdrant-'));
  const logFile = path.join(root, 'qdrant.log');
  const httpPort = await pickPort(6333);
  const grpcPort = await pickPort(6334, [httpPort]);
  const env: NodeJS.ProcessEnv = {
    ...serverEnv(process.env),
    QDRANT__SERVICE__HOST: LOOPBACK,
    QDRANT__SERVICE__HTTP_PORT: String(httpPort),
    QDRANT__SERVICE__GRPC_PORT: String(grpcPort),
    QDRANT__STORAGE__STORAGE_PATH: path.join(root, 'storage'),
    QDRANT__STORAGE__SNAPSHOTS_PATH: path.join(root, 'snapshots'),
    QDRANT__TELEMETRY_DISABLED: 'true',
  };
  if (options.apiKey) env.QDRANT__SERVICE__API_KEY = options.apiKey;
  else delete env.QDRANT__SERVICE__API_KEY;

  reporter.info(`Starting Qdrant ${options.qdrantVersion} on port ${httpPort}; storage and log in ${root}.`);
  const log = openSync(logFile, 'a');
  const child = spawn(executable, [], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', log, log],
    windowsHide: true,
  });
  let exit: string | undefined;
  child.once(
    'exit',
    (code, signal) => (exit = signal ? `it was killed by ${signal}` : `it exited with code ${code}`),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    throw new ActionError(`Starting ${executable} failed: ${describeError(error)}.`, { cause: error });
  } finally {
    closeSync(log);
  }
  const pid = child.pid!;
  child.unref();
  options.record({ kind: 'binary', pid: String(pid), pidMarker: await processMarker(pid), logFile });
  return {
    url: `http://${LOOPBACK}:${httpPort}`,
    label: `Qdrant ${options.qdrantVersion} (pid ${pid}, log ${logFile})`,
    exited: async () => exit,
    logTail: (lines) => readTail(logFile, lines),
  };
}
