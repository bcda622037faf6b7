import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArtifactService } from '../artifact-service/index.js';
import { seedCollections, startTarget, type TargetOptions } from './target.js';

/** What most end-to-end tests start from: a seeded Qdrant (or emulator) and a local artifact service. */
export async function startSeededWorld(options: TargetOptions = {}) {
  const target = await startTarget(options);
  const artifacts = await startArtifactService({
    dataDir: await mkdtemp(path.join(os.tmpdir(), 'artifacts-')),
  });
  const seeded = await seedCollections(target);
  return {
    target,
    artifacts,
    seeded,
    async close() {
      await target.close();
      await artifacts.close();
    },
  };
}

export type SeededWorld = Awaited<ReturnType<typeof startSeededWorld>>;
