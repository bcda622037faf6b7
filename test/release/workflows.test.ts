import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';

const run = promisify(execFile);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: unknown;
  services?: Record<string, unknown>;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  jobs?: Record<string, Job>;
}
/** A workflow file or a README example, with where it came from for messages. */
interface Source {
  where: string;
  firstLine: string;
  workflow: Workflow;
}

let workflows: Source[];
let examples: Source[];
let readme: string;

function allSteps(sources: Source[]) {
  return sources.flatMap((source) =>
    Object.entries(source.workflow.jobs ?? {}).flatMap(([jobId, job]) =>
      (job.steps ?? []).map((step, index) => ({
        where: `${source.where} job ${jobId} step ${step.name ?? step.uses ?? index + 1}`,
        job,
        step,
      })),
    ),
  );
}

beforeAll(async () => {
  const dir = path.join(ROOT, '.github', 'workflows');
  const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name));
  workflows = await Promise.all(
    files.map(async (name) => {
      const text = await readFile(path.join(dir, name), 'utf8');
      return {
        where: `.github/workflows/${name}`,
        firstLine: text.split('\n')[0]!,
        workflow: parse(text) as Workflow,
      };
    }),
  );
  readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match, index) => ({
    where: `README.md yaml example ${index + 1}`,
    firstLine: match[1]!.split('\n')[0]!,
    workflow: parse(match[1]!) as Workflow,
  }));
});

describe('workflows and README examples', () => {
  it('are found and parse as YAML', () => {
    expect(workflows.map((w) => w.where).sort()).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/e2e.yml',
        '.github/workflows/release.yml',
      ]),
    );
    expect(examples.filter((example) => example.workflow.jobs).length).toBeGreaterThanOrEqual(4);
  });

  it('pin every action by a major version, a full version or a commit SHA (never a branch)', () => {
    const pinned = /^(\.\/.*|[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40}))$/;
    const unpinned = allSteps([...workflows, ...examples])
      .filter(({ step }) => step.uses !== undefined && !pinned.test(step.uses))
      .map(({ where, step }) => `${where}: ${step.uses}`);
    expect(unpinned).toEqual([]);
  });

  it('never paste ${{ }} expressions into run scripts: values reach the shell through env: (script injection)', () => {
    const injected = allSteps([...workflows, ...examples])
      .filter(({ step }) => typeof step.run === 'string' && step.run.includes('${{'))
      .map(({ where, step }) => `${where}: ${step.run}`);
    expect(injected).toEqual([]);
  });
});

describe('README', () => {
  it('keeps the demo and test commands at its top', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
    expect(firstBlock).toContain('npm ci && npm run demo');
    expect(firstBlock).toContain('npm ci && npm test');
  });

  it('names the Quick start file .github/workflows/backup.yml, and the restore examples use that name', () => {
    const quickStart = examples[0]!;
    expect(quickStart.firstLine).toBe('# .github/workflows/backup.yml');
    const declared = examples
      .map((example) => /^# \.github\/workflows\/([\w.-]+\.ya?ml)$/.exec(example.firstLine)?.[1])
      .filter(Boolean);
    const referred = allSteps(examples)
      .map(({ step }) => step.with?.workflow)
      .filter((name): name is string => typeof name === 'string');
    expect(referred.length).toBeGreaterThan(0);
    for (const name of referred) expect(declared, `workflow: ${name}`).toContain(name);
  });

  it('promises start: binary on Windows only while e2e.yml runs it on a Windows runner', () => {
    const promised = /binary[^\n]*Windows|Windows[^\n]*binary/.test(readme);
    const windowsBinaryJobs = allSteps(workflows.filter((w) => w.where.endsWith('e2e.yml'))).filter(
      ({ job, step }) =>
        step.uses === './' &&
        step.with?.start === 'binary' &&
        JSON.stringify(job.strategy?.matrix ?? job['runs-on']).includes('windows'),
    );
    expect(promised).toBe(true);
    expect(windowsBinaryJobs.length).toBeGreaterThan(0);
  });
});

describe("e2e.yml's wait for Qdrant", () => {
  const readinessSteps = () =>
    allSteps(workflows.filter((w) => w.where.endsWith('e2e.yml'))).filter(({ step }) =>
      /wait for qdrant/i.test(step.name ?? ''),
    );

  /** Runs a step's script as the runner would (bash), with its job's and its own env, then the overrides. */
  async function runStep(job: Job, step: Step, overrides: Record<string, string>) {
    const env = Object.fromEntries(
      Object.entries({ ...job.env, ...step.env }).map(([key, value]) => [key, String(value)]),
    );
    return run('bash', ['-eo', 'pipefail', '-c', step.run!], {
      env: { PATH: process.env.PATH ?? '', ...env, ...overrides },
    }).then(
      () => 0,
      (error: { code: number }) => error.code,
    );
  }

  it('exists in every job that has a Qdrant service', () => {
    const e2e = workflows.find((w) => w.where.endsWith('e2e.yml'))!;
    const withService = Object.entries(e2e.workflow.jobs ?? {}).filter(([, job]) => job.services);
    expect(withService.length).toBeGreaterThanOrEqual(3);
    for (const [jobId, job] of withService) {
      expect(
        job.steps?.some((step) => /wait for qdrant/i.test(step.name ?? '')),
        `job ${jobId}`,
      ).toBe(true);
    }
  });

  /** A free port with nothing listening on it (bound, noted, closed). */
  async function closedPort(): Promise<number> {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** A /readyz that answers 503 `notReady` times, then 200; listening from `afterMs` on (refusals before). */
  async function slowQdrant(port: number, notReady: number, afterMs: number) {
    let requests = 0;
    const server = createServer((request, response) => {
      requests += 1;
      const ready = requests > notReady && request.url === '/readyz';
      response.writeHead(ready ? 200 : 503).end(ready ? 'all shards are ready' : 'not ready');
    });
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    server.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return { requests: () => requests, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('fails the step when Qdrant never answers', async () => {
    await Promise.all(
      readinessSteps().map(async ({ where, job, step }) => {
        const port = await closedPort();
        const code = await runStep(job, step, { QDRANT_URL: `http://127.0.0.1:${port}`, TRIES: '2' });
        expect(code, where).not.toBe(0);
      }),
    );
  });

  it('waits through refused connections and 503s, and passes once /readyz answers 200', async () => {
    await Promise.all(
      readinessSteps().map(async ({ where, job, step }) => {
        const port = await closedPort();
        const stepRun = runStep(job, step, { QDRANT_URL: `http://127.0.0.1:${port}`, TRIES: '8' });
        const qdrant = await slowQdrant(port, 2, 1500);
        try {
          expect(await stepRun, where).toBe(0);
          expect(qdrant.requests(), where).toBe(3);
        } finally {
          await qdrant.close();
        }
      }),
    );
  });
});
