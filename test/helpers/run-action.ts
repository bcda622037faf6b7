import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundled } from './bundles.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Values saved with core.saveState (the runner hands them to the post step as STATE_*). */
  state: Record<string, string>;
  /** The ::error:: / ::warning:: lines, as the runner would annotate them. */
  errors: string[];
  warnings: string[];
  /** Every byte the process wrote to files the runner reads. */
  files: { output: string; summary: string; state: string };
}

/** Parses the `name<<DELIM ... DELIM` file format @actions/core writes for outputs and state. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (match) {
      const [, name, delimiter] = match;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]!);
      values[name!] = body.join('\n');
    } else if (lines[i]!.includes('=')) {
      const at = lines[i]!.indexOf('=');
      values[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1);
    }
  }
  return values;
}

/**
 * Runs an entry point bundled from src/ (main by default) as a process, the way the runner does:
 * inputs as INPUT_* variables, outputs, state and summary through GITHUB_OUTPUT, GITHUB_STATE and
 * GITHUB_STEP_SUMMARY files.
 */
export async function runAction(
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>;
    entry?: string;
    state?: Record<string, string>;
    node?: string;
    timeoutMs?: number;
  } = {},
): Promise<ActionRun> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'action-run-'));
  const files = {
    output: path.join(work, 'output'),
    summary: path.join(work, 'summary'),
    state: path.join(work, 'state'),
  };
  await Promise.all(Object.values(files).map((file) => writeFile(file, '')));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    RUNNER_TEMP: path.join(work, 'runner-temp'),
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_REPOSITORY: 'octo/repo',
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
  const entry = options.entry ?? bundled('main');
  const child = spawn(options.node ?? process.execPath, [entry], { env, cwd: work });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const [output, summary, state] = await Promise.all([
    readFile(files.output, 'utf8'),
    readFile(files.summary, 'utf8'),
    readFile(files.state, 'utf8'),
  ]);
  const annotations = (kind: string) =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith(`::${kind}`))
      .map((line) =>
        line
          .replace(/^::[a-z]+[^:]*::/, '')
          .replace(/%0A/g, '\n')
          .replace(/%25/g, '%'),
      );
  return {
    code,
    stdout,
    stderr,
    outputs: parseCommandFile(output),
    summary,
    state: parseCommandFile(state),
    errors: annotations('error'),
    warnings: annotations('warning'),
    files: { output, summary, state },
  };
}
