// The emulator's snapshot file: a real tar archive (written with tar-stream) holding
//   meta.json    {format: 'qdrant-emulator-snapshot', version, collection, points, layout, ...}
//   config.json  the collection config (params, hnsw_config, optimizer_config, wal_config, ...)
//   points.jsonl one point per line ({id, vector, payload})           layout 'jsonl'
//   vectors.bin  float32 little-endian vectors, point after point   layout 'vectors-bin' (large data)
// Reading never loads a whole file: the tar is indexed by walking its 512-byte headers, then
// entries are read by offset.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import readline from 'node:readline';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export const FORMAT = 'qdrant-emulator-snapshot';

/** A Transform that hashes (SHA-256) and counts what flows through it. */
export class HashCounter extends Transform {
  constructor() {
    super();
    this.hash = crypto.createHash('sha256');
    this.bytes = 0;
  }
  /** @param {Buffer} chunk @param {BufferEncoding} _enc @param {(e?: Error|null, d?: any) => void} cb */
  _transform(chunk, _enc, cb) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest() {
    return this.hash.digest('hex');
  }
}

/**
 * @typedef {{ name: string, size: number, stream?: AsyncIterable<Buffer> | Iterable<Buffer>, data?: Buffer }} TarEntry
 */

/**
 * Write a tar file, streaming, and return its size and SHA-256.
 * @param {string} path
 * @param {TarEntry[]} entries
 * @returns {Promise<{size: number, sha256: string}>}
 */
export async function writeTar(path, entries) {
  const pack = tar.pack();
  const counter = new HashCounter();
  const out = fs.createWriteStream(path);
  const done = pipeline(/** @type {any} */ (pack), counter, out);
  const feed = (async () => {
    for (const e of entries) {
      if (e.data) {
        await new Promise((resolve, reject) =>
          pack.entry({ name: e.name, size: e.data.length, mtime: new Date(0) }, e.data, (err) =>
            err ? reject(err) : resolve(undefined),
          ),
        );
        continue;
      }
      const source = /** @type {AsyncIterable<Buffer> | Iterable<Buffer>} */ (e.stream);
      await new Promise((resolve, reject) => {
        const sink = pack.entry({ name: e.name, size: e.size, mtime: new Date(0) }, (err) =>
          err ? reject(err) : resolve(undefined),
        );
        (async () => {
          for await (const chunk of source) {
            if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
          }
          sink.end();
        })().catch((/** @type {Error} */ err) => {
          sink.destroy(err);
          reject(err);
        });
      });
    }
    pack.finalize();
  })();
  try {
    await Promise.all([feed, done]);
  } catch (err) {
    pack.destroy();
    out.destroy();
    await fsp.rm(path, { force: true });
    throw err;
  }
  return { size: counter.bytes, sha256: counter.digest() };
}

/** @param {Buffer} buf @param {number} off @param {number} len */
function readOctal(buf, off, len) {
  const field = buf.subarray(off, off + len);
  if ((field.readUInt8(0) & 0x80) !== 0) {
    // base-256 (GNU) for sizes >= 8 GiB
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field.readUInt8(i);
    return v;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

/** @param {Buffer} buf @param {number} off @param {number} len */
const readStr = (buf, off, len) =>
  buf
    .subarray(off, off + len)
    .toString('utf8')
    .replace(/\0.*$/s, '');

/**
 * Index a tar file by walking its headers. Throws an Error with a description if it is not a valid tar.
 * @param {string} path
 * @returns {Promise<Map<string, {offset: number, size: number}>>}
 */
export async function indexTar(path) {
  const fh = await fsp.open(path, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    /** @type {Map<string, {offset: number, size: number}>} */
    const entries = new Map();
    const header = Buffer.alloc(512);
    let pos = 0;
    /** @type {string | null} */
    let longName = null;
    let sawEnd = false;
    while (pos + 512 <= fileSize) {
      const { bytesRead } = await fh.read(header, 0, 512, pos);
      if (bytesRead < 512) throw new Error('truncated tar header');
      if (header.every((b) => b === 0)) {
        sawEnd = true;
        break;
      }
      const expected = readOctal(header, 148, 8);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header.readUInt8(i);
      if (Number.isNaN(expected) || expected !== sum)
        throw new Error(`invalid tar header checksum at offset ${pos}`);
      const size = readOctal(header, 124, 12);
      if (Number.isNaN(size)) throw new Error(`invalid tar entry size at offset ${pos}`);
      const type = String.fromCharCode(header.readUInt8(156) || 48);
      const dataOffset = pos + 512;
      if (dataOffset + size > fileSize) throw new Error(`tar entry at offset ${pos} is truncated`);
      let name = readStr(header, 0, 100);
      if (header.subarray(257, 262).toString('latin1') === 'ustar') {
        const prefix = readStr(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (type === 'x' || type === 'L') {
        const body = Buffer.alloc(size);
        await fh.read(body, 0, size, dataOffset);
        if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
        else {
          const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
          if (m) longName = /** @type {string} */ (m[1]);
        }
      } else if (type !== 'g') {
        if (longName !== null) {
          name = longName;
          longName = null;
        }
        if (type === '0' || type === '7')
          entries.set(name.replace(/^\.\//, ''), { offset: dataOffset, size });
      }
      pos = dataOffset + Math.ceil(size / 512) * 512;
    }
    if (!sawEnd && pos !== fileSize) throw new Error('trailing garbage after the last tar entry');
    if (entries.size === 0) throw new Error('empty archive');
    return entries;
  } finally {
    await fh.close();
  }
}

/** @param {string} path @param {{offset: number, size: number}} e */
export async function readEntry(path, e) {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.alloc(e.size);
    await fh.read(buf, 0, e.size, e.offset);
    return buf;
  } finally {
    await fh.close();
  }
}

/**
 * Open and check an emulator snapshot file (headers, meta.json, config.json only).
 * @param {string} path
 * @returns {Promise<{meta: any, config: any, entries: Map<string, {offset: number, size: number}>}>}
 */
export async function openSnapshot(path) {
  const entries = await indexTar(path);
  const metaE = entries.get('meta.json');
  const configE = entries.get('config.json');
  if (!metaE || !configE) throw new Error('not a snapshot: meta.json or config.json missing');
  const meta = JSON.parse((await readEntry(path, metaE)).toString('utf8'));
  const config = JSON.parse((await readEntry(path, configE)).toString('utf8'));
  if (meta.format !== FORMAT) throw new Error(`unknown snapshot format ${JSON.stringify(meta.format)}`);
  if (meta.layout === 'vectors-bin') {
    const v = entries.get('vectors.bin');
    if (!v) throw new Error('vectors.bin missing');
    if (v.size !== meta.points * meta.dim * 4) throw new Error('vectors.bin size does not match meta.json');
  } else if (!entries.has('points.jsonl')) throw new Error('points.jsonl missing');
  return { meta, config, entries };
}

/**
 * Stream the points of a 'jsonl' snapshot, one parsed object per line.
 * @param {string} path @param {{offset: number, size: number}} e
 * @returns {AsyncGenerator<any>}
 */
export async function* readJsonlPoints(path, e) {
  if (e.size === 0) return;
  const rl = readline.createInterface({
    input: fs.createReadStream(path, { start: e.offset, end: e.offset + e.size - 1 }),
    crlfDelay: Infinity,
  });
  for await (const line of rl) if (line.trim() !== '') yield JSON.parse(line);
}

/** @param {Array<{id: any, vector: any, payload: any}>} points */
export function jsonlEntry(points) {
  const bufs = points.map((p) =>
    Buffer.from(JSON.stringify({ id: p.id, vector: p.vector, payload: p.payload }) + '\n'),
  );
  return { size: bufs.reduce((n, b) => n + b.length, 0), stream: bufs };
}

/** @param {object} obj */
export const jsonData = (obj) => Buffer.from(JSON.stringify(obj, null, 2));
