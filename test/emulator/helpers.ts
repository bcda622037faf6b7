// Test helpers for the emulator suites: temp dirs, raw HTTP calls, streamed upload/download,
// and an OpenAPI response validator (ajv) over the Qdrant spec.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

export async function tempDir(prefix = 'qdrant-emu-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface CallResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  contentType: string;
}

/** A raw HTTP call (node:http, no retries, nothing hidden). */
export function call(
  base: string,
  method: string,
  p: string,
  opts: { body?: unknown; headers?: Record<string, string>; rawBody?: string | Buffer } = {},
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['content-type'] ??= 'application/json';
    } else if (opts.rawBody !== undefined) payload = Buffer.from(opts.rawBody);
    if (payload) headers['content-length'] = payload.length;
    const req = http.request(new URL(p, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        let json: unknown = undefined;
        if (contentType.includes('json') && text) json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, contentType });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface DownloadResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  error?: Error;
}

/** Stream a GET to `dest` (if given), hashing; a cut connection is reported in `error`, not thrown. */
export function download(
  url: string,
  dest?: string,
  headers: Record<string, string> = {},
): Promise<DownloadResult> {
  return new Promise((resolve) => {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    let status = 0;
    let resHeaders: http.IncomingHttpHeaders = {};
    const out = dest ? fs.createWriteStream(dest) : null;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      const done = () => resolve({ status, headers: resHeaders, bytes, sha256: hash.digest('hex'), error });
      if (out) out.end(done);
      else done();
    };
    const req = http.get(url, { headers, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      resHeaders = res.headers;
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (out && !out.write(c)) {
          res.pause();
          out.once('drain', () => res.resume());
        }
      });
      res.on('aborted', () => finish(new Error('aborted')));
      res.on('error', (e) => finish(e));
      res.on('end', () => {
        const expected = Number(res.headers['content-length'] ?? NaN);
        finish(Number.isFinite(expected) && expected !== bytes ? new Error('short body') : undefined);
      });
    });
    req.on('error', (e) => finish(e));
  });
}

/**
 * POST a file as multipart/form-data field `snapshot`, streamed from disk with a Content-Length
 * (what a careful client does). Resolves with the answer, or with `error` if the connection was cut.
 */
export function uploadFile(
  url: string,
  file: string,
  opts: { filename?: string; headers?: Record<string, string> } = {},
): Promise<CallResult & { error?: Error }> {
  return new Promise((resolve) => {
    const boundary = `----emu${crypto.randomBytes(8).toString('hex')}`;
    const filename = opts.filename ?? path.basename(file);
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="${filename}"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const size = fs.statSync(file).size;
    let settled = false;
    const done = (r: CallResult & { error?: Error }) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const fail = (error: Error) =>
      done({ status: 0, headers: {}, text: '', json: undefined, contentType: '', error });
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          ...(opts.headers ?? {}),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + size + tail.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(res.headers['content-type'] ?? '');
          done({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: contentType.includes('json') && text ? JSON.parse(text) : undefined,
            contentType,
          });
        });
      },
    );
    req.on('error', fail);
    req.write(head);
    const rs = fs.createReadStream(file);
    rs.on('error', fail);
    rs.on('end', () => req.end(tail));
    rs.pipe(req, { end: false });
  });
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** OpenAPI 3.0 `nullable` -> JSON Schema null types, recursively. */
function convertNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertNullable);
  if (!node || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) o[k] = convertNullable(v);
  if (o.nullable === true) {
    delete o.nullable;
    const meaningful = Object.keys(o).filter(
      (k) => !['description', 'default', 'example', 'title'].includes(k),
    );
    if (typeof o.type === 'string') {
      o.type = [o.type, 'null'];
      if (Array.isArray(o.enum)) o.enum = [...o.enum, null];
    } else if (meaningful.length === 0) o.type = 'null';
    else return { anyOf: [o, { type: 'null' }] };
  } else if (o.nullable === false) delete o.nullable;
  return o;
}

export interface SpecCheck {
  /** the spec path template, e.g. /collections/{collection_name} */
  template: string;
  /** the responses key used: '200', '4XX', 'default' ... */
  responseKey: string;
  /** media types the spec declares for that response */
  mediaTypes: string[];
  /** validation errors (empty when valid or when no JSON schema applies) */
  errors: string[];
  /** whether a JSON schema was applied */
  validated: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export class OpenApiContract {
  readonly spec: Json;
  readonly specPath: string;
  private ajv: Ajv;
  private cache = new Map<string, ValidateFunction>();

  constructor(
    specPath = process.env.QDRANT_OPENAPI ?? path.resolve('test/fixtures/qdrant-openapi-v1.19.json'),
  ) {
    this.specPath = specPath;
    this.spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
    this.ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    this.ajv.addSchema(convertNullable(this.spec) as object, 'qdrant');
  }

  /** The spec template matching a concrete path (literal segments preferred over parameters). */
  template(concretePath: string, method: string): string | undefined {
    const segs = concretePath.split('?')[0]!.split('/').filter(Boolean);
    let best: { t: string; score: number } | undefined;
    for (const t of Object.keys(this.spec.paths)) {
      if (!this.spec.paths[t][method.toLowerCase()]) continue;
      const ts = t.split('/').filter(Boolean);
      if (ts.length !== segs.length) continue;
      let score = 0;
      let ok = true;
      ts.forEach((s, i) => {
        if (s.startsWith('{')) return;
        if (s === segs[i]) score++;
        else ok = false;
      });
      if (ok && (!best || score > best.score)) best = { t, score };
    }
    return best?.t;
  }

  check(
    method: string,
    concretePath: string,
    status: number,
    body: unknown,
    contentType = 'application/json',
  ): SpecCheck {
    const template = this.template(concretePath, method);
    if (!template) throw new Error(`spec has no ${method} ${concretePath}`);
    const op = this.spec.paths[template][method.toLowerCase()];
    const responses = op.responses as Record<string, Json>;
    const responseKey = [String(status), `${Math.floor(status / 100)}XX`, 'default'].find(
      (k) => k in responses,
    );
    if (!responseKey) throw new Error(`spec declares no response ${status} for ${method} ${template}`);
    const content = (responses[responseKey].content ?? {}) as Record<string, Json>;
    const mediaTypes = Object.keys(content);
    const isJson = contentType.includes('json');
    if (!isJson || !content['application/json']?.schema) {
      return { template, responseKey, mediaTypes, errors: [], validated: false };
    }
    const pointer = `qdrant#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${responseKey}/content/application~1json/schema`;
    let v = this.cache.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: pointer });
      this.cache.set(pointer, v);
    }
    const ok = v(body);
    const errors = ok
      ? []
      : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
    return { template, responseKey, mediaTypes, errors, validated: true };
  }
}
