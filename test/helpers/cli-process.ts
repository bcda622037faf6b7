import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { bundled } from './bundles.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (bundled from src/, or `entry`) as a user would: a clean environment, PATH and HOME only, plus `env`. */
export async function runCli(
  args: string[],
  options: { home: string; env?: Record<string, string>; entry?: string },
): Promise<CliRun> {
  const child = spawn(process.execPath, [options.entry ?? bundled('cli'), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: options.home, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

/** A local port nobody listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
