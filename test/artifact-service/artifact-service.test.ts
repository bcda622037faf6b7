import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DefaultArtifactClient as ClientClass } from '@actions/artifact';
import { startArtifactService, type ArtifactService } from './index.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

let svc: ArtifactService;
let tmp: string;
let srcDir: string;
let files: string[];
let expected: Map<string, Buffer>;
let client: ClientClass;
const savedEnv = { ...process.env };
let stdoutSpy: { mockRestore(): void } | undefined;

/** Act as a job of `runId`: the client reads these variables at call time (but see GITHUB_API_URL below). */
function actAs(runId: number, jobId?: string): void {
  Object.assign(process.env, svc.env({ runId, jobId }));
}

const findBy = (workflowRunId: number, token = 'ghs_test') => ({
  token,
  workflowRunId,
  repositoryOwner: 'octo',
  repositoryName: 'repo',
});

/** Every expected file exists under `dir` with identical bytes (Buffer.equals: deep equality of MiB-sized
 * buffers through expect().toEqual takes tens of seconds). */
async function expectTree(dir: string): Promise<void> {
  for (const [rel, data] of expected) {
    const actual = await readFile(path.join(dir, rel));
    expect(actual.equals(data), `${rel} differs`).toBe(true);
  }
}

async function rest(pathAndQuery: string, auth: string | null = 'token ghs_test') {
  const res = await fetch(`${svc.url}${pathAndQuery}`, {
    headers: auth ? { authorization: auth } : {},
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'artifact-service-test-'));
  svc = await startArtifactService({ dataDir: path.join(tmp, 'data') });

  srcDir = path.join(tmp, 'src');
  await mkdir(path.join(srcDir, 'nested', 'deeper'), { recursive: true });
  expected = new Map([
    // > 8 MiB, so the client stages two blocks before committing the block list
    ['collections/big.snapshot', randomBytes(9 * 1024 * 1024 + 123)],
    ['manifest.json', Buffer.from(JSON.stringify({ version: 1, collections: ['big'] }, null, 2))],
    ['nested/deeper/empty.txt', Buffer.alloc(0)],
    ['nested/ünïcode name.txt', Buffer.from('héllo\n')],
  ]);
  files = [];
  for (const [rel, data] of expected) {
    const file = path.join(srcDir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    files.push(file);
  }

  // @actions/github computes its REST base URL from GITHUB_API_URL when it is first imported: set the
  // environment before importing @actions/artifact (a child process gets it from svc.env anyway).
  actAs(100);
  const mod = await import('@actions/artifact');
  client = new mod.DefaultArtifactClient();
  // @actions/core logs through process.stdout.write: keep the test output readable.
  stdoutSpy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterAll(async () => {
  stdoutSpy?.mockRestore();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await svc?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('artifact service with the real @actions/artifact client', () => {
  let uploadedId: number;

  it('uploads a folder: the stored zip holds byte-identical entries', async () => {
    actAs(101);
    const before = svc.requests.length;
    const result = await client.uploadArtifact('qdrant-backup', files, srcDir, { compressionLevel: 1 });
    expect(result.id).toBeGreaterThan(0);
    uploadedId = result.id!;

    const entries = await svc.readArtifactEntries(uploadedId);
    expect([...entries.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, data] of expected) expect(entries.get(name)!.equals(data), name).toBe(true);

    const stored = svc.artifacts().find((a) => a.id === uploadedId)!;
    const zip = await readFile(stored.zipPath);
    expect(stored).toMatchObject({ name: 'qdrant-backup', runId: 101, finalized: true, expired: false });
    expect(stored.size).toBe(zip.length);
    expect(result.size).toBe(zip.length);
    expect(result.digest).toBe(createHash('sha256').update(zip).digest('hex'));
    expect(stored.digest).toBe(`sha256:${result.digest}`);

    const routes = svc.requests.slice(before).map((r) => `${r.route} ${r.status}`);
    expect(routes).toEqual([
      'CreateArtifact 200',
      'blob 201',
      'blob 201',
      'blob 201',
      'FinalizeArtifact 200',
    ]);
  });

  it('downloads in the same run by id', async () => {
    actAs(101, 'another-job');
    const out = path.join(tmp, 'same-run');
    const res = await client.downloadArtifact(uploadedId, { path: out });
    expect(res).toEqual({ downloadPath: out, digestMismatch: false });
    await expectTree(out);

    const { artifact } = await client.getArtifact('qdrant-backup');
    expect(artifact).toMatchObject({ id: uploadedId, name: 'qdrant-backup' });
    const listed = await client.listArtifacts();
    expect(listed.artifacts.map((a) => a.name)).toEqual(['qdrant-backup']);
  });

  it('downloads from another run through the REST API (findBy)', async () => {
    actAs(202);
    // not visible through the Twirp API of another run
    await expect(client.getArtifact('qdrant-backup')).rejects.toThrow(/Artifact not found/);

    const { artifact } = await client.getArtifact('qdrant-backup', { findBy: findBy(101) });
    expect(artifact).toMatchObject({ id: uploadedId, name: 'qdrant-backup' });
    expect(artifact.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const out = path.join(tmp, 'cross-run');
    const res = await client.downloadArtifact(artifact.id, {
      path: out,
      findBy: findBy(101),
      expectedHash: artifact.digest,
    });
    expect(res).toEqual({ downloadPath: out, digestMismatch: false });
    await expectTree(out);

    const listed = await client.listArtifacts({ findBy: findBy(101), latest: true });
    expect(listed.artifacts.map((a) => a.id)).toEqual([uploadedId]);
    const last = svc.requests.filter((r) => r.route === 'DownloadArtifactZip').at(-1);
    expect(last).toMatchObject({ path: `/repos/octo/repo/actions/artifacts/${uploadedId}/zip`, status: 302 });
  });

  it('refuses a reused name in the same run with the client natural 409 error', async () => {
    actAs(101, 'third-job');
    await expect(client.uploadArtifact('qdrant-backup', [files[1]!], srcDir)).rejects.toThrow(
      'Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run',
    );
    expect(svc.artifacts().filter((a) => a.name === 'qdrant-backup')).toHaveLength(1);
    // the same name in another run is fine
    actAs(303);
    const other = await client.uploadArtifact('qdrant-backup', [files[1]!], srcDir);
    expect(other.id).toBeGreaterThan(uploadedId);
    expect([...(await svc.readArtifactEntries(other.id!)).keys()]).toEqual(['manifest.json']);
  });

  it('uploads and downloads a single raw file with skipArchive', async () => {
    actAs(404);
    const file = path.join(tmp, 'backup.tar.gz');
    const data = randomBytes(300_000);
    await writeFile(file, data);
    const up = await client.uploadArtifact('ignored', [file], tmp, { skipArchive: true });
    expect(svc.artifacts().find((a) => a.id === up.id)).toMatchObject({
      name: 'backup.tar.gz',
      mimeType: 'application/gzip',
    });
    const out = path.join(tmp, 'raw-out');
    await client.downloadArtifact(up.id!, { path: out });
    expect((await readFile(path.join(out, 'backup.tar.gz'))).equals(data)).toBe(true);
  });

  it('expired artifacts: hidden from Twirp, 410 on the REST zip endpoint', async () => {
    actAs(505);
    const up = await client.uploadArtifact('short-lived', [files[1]!], srcDir, { retentionDays: 1 });
    svc.expireArtifact(up.id!);
    expect((await client.listArtifacts()).artifacts).toEqual([]);
    const listed = await rest('/repos/octo/repo/actions/runs/505/artifacts');
    expect(listed.body.artifacts[0]).toMatchObject({ id: up.id, expired: true });
    actAs(606);
    await expect(
      client.downloadArtifact(up.id!, { path: path.join(tmp, 'expired'), findBy: findBy(505) }),
    ).rejects.toThrow(/expired/);
  });

  it('deletes an artifact through the Twirp API', async () => {
    actAs(707);
    const up = await client.uploadArtifact('to-delete', [files[1]!], srcDir);
    expect(await client.deleteArtifact('to-delete')).toEqual({ id: up.id });
    expect(svc.artifacts().some((a) => a.id === up.id)).toBe(false);
    await expect(svc.readArtifactEntries(up.id!)).rejects.toThrow(/no artifact/);
  });

  it('injected faults surface as the client reports them', async () => {
    actAs(808);
    svc.inject({ route: 'FinalizeArtifact', failNext: { count: 1, status: 400 } });
    await expect(client.uploadArtifact('faulty', [files[1]!], srcDir)).rejects.toThrow(
      'Failed to FinalizeArtifact: Received non-retryable error: Failed request: (400) Bad Request: injected fault',
    );
    // a retryable status is retried by the client (after ~3 s)
    svc.inject({ route: 'CreateArtifact', failNext: { count: 1, status: 503 } });
    const up = await client.uploadArtifact('retried', [files[1]!], srcDir);
    expect(up.id).toBeGreaterThan(0);
    const creates = svc.requests.filter((r) => r.route === 'CreateArtifact').slice(-2);
    expect(creates.map((r) => r.status)).toEqual([503, 200]);
  }, 20_000);

  it('works from a child process given only svc.env()', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: os.homedir(), ...svc.env({ runId: 909 }) };
    const out = path.join(tmp, 'child-out');
    const code = `
      import { DefaultArtifactClient } from '@actions/artifact';
      const c = new DefaultArtifactClient();
      const up = await c.uploadArtifact('child', ${JSON.stringify(files)}, ${JSON.stringify(srcDir)});
      const got = await c.getArtifact('child', { findBy: { token: process.env.GITHUB_TOKEN, workflowRunId: 909,
        repositoryOwner: 'octo', repositoryName: 'repo' } });
      await c.downloadArtifact(got.artifact.id, { path: ${JSON.stringify(out)}, findBy: { token: process.env.GITHUB_TOKEN,
        workflowRunId: 909, repositoryOwner: 'octo', repositoryName: 'repo' } });
      console.log('RESULT ' + JSON.stringify(up));
    `;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', code],
        { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 },
        (err, so, se) => (err ? reject(new Error(`${err.message}\n${se}\n${so}`)) : resolve(so)),
      );
    });
    const up = JSON.parse(/^RESULT (.*)$/m.exec(stdout)![1]!);
    expect(svc.artifacts().find((a) => a.id === up.id)).toMatchObject({
      name: 'child',
      runId: 909,
      finalized: true,
    });
    await expectTree(out);
  });
});

describe('GitHub REST fake', () => {
  beforeAll(() => {
    const base = Date.parse('2025-01-01T00:00:00Z');
    const at = (h: number) => new Date(base + h * 3600_000).toISOString();
    svc.addWorkflowRun({ id: 11, workflow: 'backup.yml', createdAt: at(1) });
    svc.addWorkflowRun({ id: 12, workflow: 'backup.yml', createdAt: at(2), conclusion: 'failure' });
    svc.addWorkflowRun({ id: 13, workflow: 'backup.yml', createdAt: at(3), branch: 'feature' });
    svc.addWorkflowRun({ id: 14, workflow: 'backup.yml', createdAt: at(4) });
    svc.addWorkflowRun({ id: 15, workflow: 'backup.yml', createdAt: at(5), status: 'in_progress' });
    svc.addWorkflowRun({ id: 21, workflow: 'ci.yml', createdAt: at(6) });
  });

  it('lists the runs of a workflow newest first, filtered by status and branch', async () => {
    const all = await rest('/repos/octo/repo/actions/workflows/backup.yml/runs');
    expect(all.status).toBe(200);
    expect(all.body.total_count).toBe(5);
    expect(all.body.workflow_runs.map((r: { id: number }) => r.id)).toEqual([15, 14, 13, 12, 11]);

    const ok = await rest(
      '/repos/octo/repo/actions/workflows/backup.yml/runs?status=success&branch=main&per_page=10',
    );
    expect(ok.body.workflow_runs.map((r: { id: number }) => r.id)).toEqual([14, 11]);
    expect(ok.body.workflow_runs[0]).toMatchObject({
      id: 14,
      name: 'backup',
      head_branch: 'main',
      status: 'completed',
      conclusion: 'success',
      path: '.github/workflows/backup.yml',
      created_at: '2025-01-01T04:00:00Z',
    });
    const workflowId = ok.body.workflow_runs[0].workflow_id;
    expect(typeof workflowId).toBe('number');

    const byId = await rest(`/repos/octo/repo/actions/workflows/${workflowId}/runs?status=completed`);
    expect(byId.body.workflow_runs.map((r: { id: number }) => r.id)).toEqual([14, 13, 12, 11]);
    const feature = await rest('/repos/octo/repo/actions/workflows/backup.yml/runs?branch=feature');
    expect(feature.body.workflow_runs.map((r: { id: number }) => r.id)).toEqual([13]);
  });

  it('paginates with per_page/page and a Link header', async () => {
    const p1 = await rest('/repos/octo/repo/actions/workflows/backup.yml/runs?per_page=2&page=1');
    expect(p1.body.total_count).toBe(5);
    expect(p1.body.workflow_runs.map((r: { id: number }) => r.id)).toEqual([15, 14]);
    expect(p1.headers.get('link')).toContain('rel="next"');
    const p3 = await rest('/repos/octo/repo/actions/workflows/backup.yml/runs?per_page=2&page=3');
    expect(p3.body.workflow_runs.map((r: { id: number }) => r.id)).toEqual([11]);
  });

  it('answers 404 for an unknown workflow or repository and 401 without a token', async () => {
    const unknown = await rest('/repos/octo/repo/actions/workflows/nope.yml/runs');
    expect(unknown).toMatchObject({ status: 404, body: { message: 'Not Found' } });
    const otherRepo = await rest('/repos/someone/else/actions/workflows/backup.yml/runs');
    expect(otherRepo.status).toBe(404);
    const noAuth = await rest('/repos/octo/repo/actions/workflows/backup.yml/runs', null);
    expect(noAuth.status).toBe(401);
    const bearer = await rest('/repos/octo/repo/actions/workflows/backup.yml/runs', 'Bearer ghs_x');
    expect(bearer.status).toBe(200);
  });

  it('lists run artifacts by name and redirects the zip download to a signed blob URL', async () => {
    const listed = await rest('/repos/octo/repo/actions/runs/101/artifacts?name=qdrant-backup');
    expect(listed.body.total_count).toBe(1);
    const a = listed.body.artifacts[0];
    expect(a).toMatchObject({ name: 'qdrant-backup', expired: false, workflow_run: { id: 101 } });
    const none = await rest('/repos/octo/repo/actions/runs/101/artifacts?name=missing');
    expect(none.body).toEqual({ total_count: 0, artifacts: [] });

    const zip = await rest(`/repos/octo/repo/actions/artifacts/${a.id}/zip`);
    expect(zip.status).toBe(302);
    const location = zip.headers.get('location')!;
    expect(new URL(location).pathname.split('/')).toHaveLength(4);
    const blob = await fetch(location);
    expect(blob.headers.get('content-type')).toBe('application/zip');
    expect(Number(blob.headers.get('content-length'))).toBe(a.size_in_bytes);
    await blob.arrayBuffer();
    // a tampered signature is refused
    const bad = await fetch(location.replace(/sig=[^&]+/, 'sig=forged'));
    expect(bad.status).toBe(403);
    await bad.arrayBuffer();
  });
});
