import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { TarEndCheck } from '../../src/util/tar-end.js';

async function archive(entries: { name: string; size: number }[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => tar.on('end', () => resolve()));
  for (const entry of entries) tar.entry({ name: entry.name }, Buffer.alloc(entry.size, 7));
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

function check(bytes: Buffer, chunkSize: number): string | undefined {
  const tarEnd = new TarEndCheck();
  for (let i = 0; i < bytes.length; i += chunkSize) tarEnd.update(bytes.subarray(i, i + chunkSize));
  return tarEnd.incomplete;
}

describe('TarEndCheck', () => {
  it('accepts a whole archive, however it is chunked', async () => {
    const bytes = await archive([
      { name: 'a', size: 0 },
      { name: 'b', size: 513 },
      { name: 'segments/c.tar', size: 70_000 },
    ]);
    for (const chunkSize of [1, 7, 511, 512, 4096, bytes.length])
      expect(check(bytes, chunkSize)).toBeUndefined();
  });

  it('rejects an archive cut anywhere before its end-of-archive marker', async () => {
    const bytes = await archive([
      { name: 'a', size: 1000 },
      { name: 'b', size: 3000 },
    ]);
    // The last 1024 bytes are the marker; any cut before the marker is complete must be caught, including
    // cuts that fall inside data made of zeros' neighbours and right at entry boundaries.
    for (const cut of [0, 100, 512, 1536, 2048, bytes.length - 1024, bytes.length - 1]) {
      expect(check(bytes.subarray(0, cut), 300), `cut at ${cut}`).toMatch(/end-of-archive|corrupt/);
    }
  });

  it('rejects bytes that are not a tar archive', () => {
    expect(check(Buffer.from('{"status":{"error":"Not found"}}'.padEnd(2048, 'x')), 64)).toMatch(/corrupt/);
  });
});
