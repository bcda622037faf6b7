/**
 * Follows a tar archive as it streams past, header to header, to tell whether it reached its end-of-archive
 * marker (two zero blocks). A streamed shard snapshot needs this: Qdrant writes it through a pipe after the
 * 200 answer, and when writing fails on the server the pipe simply closes, so the response ends cleanly with
 * a truncated archive (lib/collection/src/shards/shard_holder/mod.rs, stream_shard_snapshot: the error is
 * only logged). Constant memory: one 512-byte header buffer; data blocks are skipped, not read.
 */
export class TarEndCheck {
  private position = 0;
  private nextHeader = 0;
  private readonly header = Buffer.alloc(512);
  private headerFill = 0;
  private zeroBlocks = 0;
  private problem: string | undefined;
  private ended = false;

  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length && !this.ended && !this.problem) {
      const absolute = this.position + offset;
      if (absolute < this.nextHeader) {
        offset += Math.min(chunk.length - offset, this.nextHeader - absolute);
        continue;
      }
      const take = Math.min(512 - this.headerFill, chunk.length - offset);
      this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
      this.headerFill += take;
      offset += take;
      if (this.headerFill === 512) this.readHeader(this.position + offset);
    }
    this.position += chunk.length;
  }

  /** Undefined when the archive ended properly; otherwise why it did not. */
  get incomplete(): string | undefined {
    if (this.problem) return this.problem;
    if (!this.ended)
      return `the tar archive stops after ${this.position} bytes without its end-of-archive marker`;
    return undefined;
  }

  private readHeader(end: number): void {
    this.headerFill = 0;
    if (this.header.every((byte) => byte === 0)) {
      this.zeroBlocks++;
      this.nextHeader = end;
      if (this.zeroBlocks === 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    if (!validChecksum(this.header)) {
      this.problem = `the tar header at byte ${end - 512} is corrupt (bad checksum)`;
      return;
    }
    const size = entrySize(this.header);
    this.nextHeader = end + Math.ceil(size / 512) * 512;
  }
}

/** The size field: octal text, or base-256 (high bit set) for entries of 8 GiB and more. */
function entrySize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if (field[0]! & 0x80) {
    let size = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) size = size * 256 + field[i]!;
    return size;
  }
  const text = field
    .toString('ascii')
    .replace(/[\0 ]+$/g, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function validChecksum(header: Buffer): boolean {
  const text = header
    .subarray(148, 156)
    .toString('ascii')
    .replace(/[\0 ]+$/g, '')
    .trim();
  const recorded = parseInt(text, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return recorded === sum;
}
