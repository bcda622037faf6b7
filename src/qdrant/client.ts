import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { tap } from '../tap.js';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { ActionError } from '../errors.js';
import { QdrantError, hintFor, isConnectionError, isRetryableCode, networkCode } from './errors.js';
import { postMultipartFile } from './multipart-upload.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import type {
  AliasDescription,
  AliasOperation,
  CollectionInfo,
  CollectionsAliasesResponse,
  CollectionsResponse,
  CountResult,
  PointId,
  PointRecord,
  ScrollPage,
  SnapshotDescription,
  SnapshotPriority,
  VersionInfo,
} from './types.js';

export interface ClientOptions {
  url: string;
  apiKey?: string;
  /** Deadline of one call (a whole snapshot creation, download or upload included), in ms. */
  timeoutMs: number;
  retry?: RetryPolicy;
  onRetry?: (message: string) => void;
}

export interface DownloadResult {
  /** Bytes and SHA-256 of the snapshot as the server sent it. */
  size: number;
  sha256: string;
  /** Bytes and SHA-256 of the file written to disk (differ from the above when `transform` encrypts). */
  storedSize: number;
  storedSha256: string;
}

export interface DownloadOptions {
  /** The checksum the server advertised: the file is only renamed into place when it matches. */
  expectedSha256?: string;
  /** Applied between the wire and the disk (encryption); called afresh on every attempt. */
  transform?: (source: AsyncIterable<Buffer>) => AsyncIterable<Uint8Array>;
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** The server sent bytes whose SHA-256 is not the checksum it advertised. */
export class ChecksumMismatchError extends ActionError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    where: string,
  ) {
    super(
      `SHA-256 mismatch for ${where}: the server advertised ${expected}, the bytes received hash to ${actual}.`,
    );
  }
}

interface CallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** A body already serialised as JSON (point ids above 2^53 cannot go through JSON.stringify). */
  json?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Envelope<T> {
  result: T;
  status: string;
  time?: number;
}

/** The file name an upload is sent under; Qdrant keeps the upload among the snapshots under this name. */
export function uploadedSnapshotName(collection: string): string {
  return `${collection}-qdrant-snapshot-action-upload.snapshot`;
}

const path = (strings: TemplateStringsArray, ...names: string[]): string =>
  strings.reduce((out, part, i) => out + part + (i < names.length ? encodeURIComponent(names[i]!) : ''), '');

/** Typed REST client for the parts of Qdrant's API a backup and a restore need. */
export class QdrantClient {
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly agent: Agent;
  /** For uploads, which go through node:http(s) (see uploadSnapshot); made on first use. */
  private uploadAgent?: HttpAgent;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.headers = options.apiKey ? { 'api-key': options.apiKey } : {};
    // No undici header/body timeouts (300 s by default): creating a large snapshot can take many minutes.
    // Each call has its own deadline instead.
    this.agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, connections: 16 });
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  async close(): Promise<void> {
    this.uploadAgent?.destroy();
    await this.agent.close();
  }

  // --- Server --------------------------------------------------------------------------------------

  /** `GET /`: the server's version. Fails clearly when the URL does not answer as Qdrant does. */
  async version(): Promise<VersionInfo> {
    const info = await this.retried(() => this.send<VersionInfo>('GET', '/', { raw: true }));
    if (typeof info !== 'object' || info === null || typeof info.version !== 'string') {
      throw this.notQdrant('GET', '/', 'its answer has no version field');
    }
    return info;
  }

  /** `GET /readyz`: true once the server accepts requests. */
  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      const response = await request(`${this.url}/readyz`, {
        dispatcher: this.agent,
        signal: signal ?? AbortSignal.timeout(5_000),
      });
      await response.body.dump();
      return response.statusCode === 200;
    } catch {
      return false;
    }
  }

  // --- Collections ---------------------------------------------------------------------------------

  async listCollections(): Promise<string[]> {
    const result = await this.get<CollectionsResponse>('/collections');
    return result.collections.map((collection) => collection.name).sort();
  }

  async collectionInfo(collection: string): Promise<CollectionInfo> {
    return this.get<CollectionInfo>(path`/collections/${collection}`);
  }

  async collectionExists(collection: string): Promise<boolean> {
    return (await this.listCollections()).includes(collection);
  }

  /** Exact point count; `points_count` in collection info is only approximate. */
  async exactCount(collection: string): Promise<number> {
    const result = await this.retried(() =>
      this.send<CountResult>('POST', path`/collections/${collection}/points/count`, {
        body: { exact: true },
      }),
    );
    return result.count;
  }

  // --- Aliases -------------------------------------------------------------------------------------

  async aliases(): Promise<AliasDescription[]> {
    const result = await this.get<CollectionsAliasesResponse>('/aliases');
    return result.aliases;
  }

  async updateAliases(actions: AliasOperation[]): Promise<void> {
    await this.retried(() => this.send<boolean>('POST', '/collections/aliases', { body: { actions } }));
  }

  // --- Snapshots -----------------------------------------------------------------------------------

  async listSnapshots(collection: string): Promise<SnapshotDescription[]> {
    return this.get<SnapshotDescription[]>(path`/collections/${collection}/snapshots`);
  }

  async deleteSnapshot(collection: string, snapshot: string): Promise<void> {
    await this.retried(() =>
      this.send<boolean>('DELETE', path`/collections/${collection}/snapshots/${snapshot}`, {
        query: { wait: 'true' },
      }),
    );
  }

  /**
   * Creates a snapshot and waits for it. Safe to repeat: when an attempt fails after the server may have
   * started writing, the snapshots that appeared since are deleted before the next attempt, and once more
   * after the attempt that succeeded.
   */
  async createSnapshot(collection: string, signal?: AbortSignal): Promise<SnapshotDescription> {
    const before = new Set((await this.listSnapshots(collection)).map((s) => s.name));
    const deleteOrphans = async (keep?: string) => {
      const orphans = (await this.listSnapshots(collection).catch(() => [])).filter(
        (s) => !before.has(s.name) && s.name !== keep,
      );
      for (const orphan of orphans) await this.deleteSnapshot(collection, orphan.name).catch(() => {});
    };
    let retried = false;
    const made = await this.retried(
      () =>
        this.send<SnapshotDescription>('POST', path`/collections/${collection}/snapshots`, {
          query: { wait: 'true' },
          signal,
        }),
      async () => {
        retried = true;
        await deleteOrphans();
      },
    );
    // Fix: a creation whose connection dropped goes on on the server and may land only after the cleanup
    // before the retry (found by the test that restarts the server mid-creation): clean up again now.
    if (retried) await deleteOrphans(made.name);
    return made;
  }

  /**
   * Streams a snapshot into `destination`, hashing it in the same pass. The bytes land in a temporary
   * file that is renamed into place only when complete and, if `expectedSha256` is given, matching.
   */
  async downloadSnapshot(
    collection: string,
    snapshot: string,
    destination: string,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const route = path`/collections/${collection}/snapshots/${snapshot}`;
    const partial = `${destination}.partial`;
    try {
      const result = await this.retried(() => this.downloadOnce(route, partial, options));
      if (options.expectedSha256 && options.expectedSha256 !== result.sha256) {
        throw new ChecksumMismatchError(
          options.expectedSha256,
          result.sha256,
          `snapshot ${snapshot} of ${collection}`,
        );
      }
      await rename(partial, destination);
      return result;
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  private async downloadOnce(
    route: string,
    partial: string,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    const { response, fail } = await this.open('GET', route, { signal: options.signal });
    const { body, headers } = response;
    const total = Number(headers['content-length']) || undefined;
    const wire = createHash('sha256');
    const stored = createHash('sha256');
    let size = 0;
    let storedSize = 0;
    const wireTap = tap((chunk) => {
      wire.update(chunk);
      size += chunk.length;
      options.onProgress?.(size, total);
    });
    const storedTap = tap((chunk) => {
      stored.update(chunk);
      storedSize += chunk.length;
    });
    try {
      if (options.transform) {
        await pipeline(body, wireTap, options.transform, storedTap, createWriteStream(partial));
      } else {
        await pipeline(body, wireTap, storedTap, createWriteStream(partial));
      }
    } catch (error) {
      throw fail(error);
    }
    if (total !== undefined && size !== total) {
      throw new QdrantError(`The download of ${route} ended after ${size} of ${total} bytes.`, {
        method: 'GET',
        path: route,
        code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
      });
    }
    return { size, sha256: wire.digest('hex'), storedSize, storedSha256: stored.digest('hex') };
  }

  /**
   * Recovers `collection` from a snapshot file by upload (`priority=snapshot`: without it a new
   * collection can end up empty). The server checks `checksum` before touching anything. The file is
   * reopened on every attempt, so a retry sends it whole again.
   *
   * The multipart body is written by hand through node:http(s) from a pool of four reused 256 KiB buffers,
   * not as an undici FormData over `openAsBlob`: that allocated a fresh buffer per chunk, so a restore
   * peaked at 134 MiB RSS on Node 20 and up to 167 MiB on Node 24, and uploaded 1.1-1.2x slower than
   * `curl -F`. With the pool, memory stays constant whatever the snapshot's size (bench/README.md).
   */
  async uploadSnapshot(
    collection: string,
    file: string,
    options: { checksum: string; priority?: SnapshotPriority; signal?: AbortSignal },
  ): Promise<void> {
    const route = path`/collections/${collection}/snapshots/upload`;
    const query = { wait: 'true', priority: options.priority ?? 'snapshot', checksum: options.checksum };
    await this.retried(() =>
      this.uploadOnce(route, file, uploadedSnapshotName(collection), { query, signal: options.signal }),
    );
  }

  private async uploadOnce(
    route: string,
    file: string,
    filename: string,
    options: CallOptions,
  ): Promise<boolean> {
    const method = 'POST';
    const { url, signal, fail } = this.prepare(method, route, options);
    this.uploadAgent ??=
      url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    let answer;
    try {
      answer = await postMultipartFile({
        url,
        headers: this.headers,
        field: 'snapshot',
        filename,
        file,
        signal,
        agent: this.uploadAgent,
      });
    } catch (error) {
      throw fail(error);
    }
    const { statusCode, headers, text, bodyError } = answer;
    if (statusCode >= 200 && statusCode < 300) {
      if (bodyError !== undefined) throw fail(bodyError);
      return this.parseAnswer<boolean>(method, route, statusCode, text);
    }
    throw await this.httpError(method, route, statusCode, text, headers['retry-after']);
  }

  // --- Points (read-only) --------------------------------------------------------------------------

  /**
   * One page of `POST /collections/{c}/points/scroll`, in id order; `next_page_offset` is null after the
   * last page. Read-only, so retried like a GET.
   */
  async scrollPoints(collection: string, options: PointReadOptions & PageOptions): Promise<ScrollPage> {
    const route = path`/collections/${collection}/points/scroll`;
    const body = (withVector: boolean, withPayload: boolean) =>
      pointsJson({
        limit: options.limit,
        offset: options.offset ?? undefined,
        with_vector: withVector,
        with_payload: withPayload,
      });
    const page = await this.postPoints<ScrollPage>(
      route,
      body(options.withVector ?? false, options.withPayload ?? false),
      options.signal,
    );
    const rounded = [...page.points.map((p) => p.id), page.next_page_offset];
    if (rounded.every(isExactId)) return page;
    const exact = await this.exactIds(route, body(false, false), page.points.length, options.signal);
    return {
      points: withExactIds(page.points, exact.ids, route),
      next_page_offset: exact.next === undefined ? page.next_page_offset : exact.next,
    };
  }

  /** `POST /collections/{c}/points`: the points with these ids (in no promised order); absent ids are left out. */
  async retrievePoints(
    collection: string,
    ids: PointId[],
    options: PointReadOptions = {},
  ): Promise<PointRecord[]> {
    const route = path`/collections/${collection}/points`;
    const body = (withVector: boolean, withPayload: boolean) =>
      pointsJson({ ids, with_vector: withVector, with_payload: withPayload });
    const points = await this.postPoints<PointRecord[]>(
      route,
      body(options.withVector ?? false, options.withPayload ?? false),
      options.signal,
    );
    if (points.every((p) => isExactId(p.id))) return points;
    const exact = await this.exactIds(route, body(false, false), points.length, options.signal);
    return withExactIds(points, exact.ids, route);
  }

  private postPoints<T>(route: string, json: string, signal?: AbortSignal): Promise<T> {
    return this.retried(() => this.send<T>('POST', route, { json, signal }));
  }

  /**
   * Integer ids above 2^53 lose digits in JSON.parse. The same request without vectors and payload is
   * answered as `{"id":…}` records only, so the ids can be read exactly from its text.
   */
  private async exactIds(
    route: string,
    json: string,
    expected: number,
    signal?: AbortSignal,
  ): Promise<{ ids: PointId[]; next?: PointId | null }> {
    const text = await this.retried(async () => {
      const { response, fail } = await this.open('POST', route, { json, signal });
      try {
        return await response.body.text();
      } catch (error) {
        throw fail(error);
      }
    });
    const ids = [...text.matchAll(/\{"id":(\d+|"[^"]*")/g)].map((m) => exactId(m[1]!));
    if (ids.length !== expected) {
      throw new QdrantError(
        `The ids of ${route} changed between two reads (${expected} then ${ids.length} points): is the collection being written to?`,
        { method: 'POST', path: route },
      );
    }
    const next = /"next_page_offset":(\d+|"[^"]*"|null)/.exec(text)?.[1];
    return { ids, next: next === undefined ? undefined : next === 'null' ? null : exactId(next) };
  }

  // --- Plumbing ------------------------------------------------------------------------------------

  private get<T>(route: string): Promise<T> {
    return this.retried(() => this.send<T>('GET', route));
  }

  private retried<T>(operation: () => Promise<T>, beforeRetry?: () => Promise<void>): Promise<T> {
    return withRetry(operation, this.retry, {
      beforeRetry,
      onRetry: (error, attempt, delayMs) =>
        this.options.onRetry?.(
          `${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.retry.attempts}).`,
        ),
    });
  }

  private async send<T>(
    method: Dispatcher.HttpMethod,
    route: string,
    options: CallOptions & { raw?: boolean } = {},
  ) {
    const { response, fail } = await this.open(method, route, options);
    const { body, statusCode } = response;
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      throw fail(error);
    }
    return this.parseAnswer<T>(method, route, statusCode, text, options.raw);
  }

  /** The result in a 2xx answer's body, which must be JSON in Qdrant's envelope (unless `raw`). */
  private parseAnswer<T>(method: string, route: string, statusCode: number, text: string, raw?: boolean): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.notQdrant(method, route, `it answered ${statusCode} with ${describeBody(text)}`);
    }
    if (raw) return parsed as T;
    if (typeof parsed !== 'object' || parsed === null || !('result' in parsed) || !('status' in parsed)) {
      throw this.notQdrant(
        method,
        route,
        `its ${statusCode} answer is JSON without Qdrant's result envelope`,
      );
    }
    return (parsed as Envelope<T>).result;
  }

  /**
   * Sends a request and returns the response when its status is 2xx; otherwise throws a QdrantError.
   * `fail` turns an error met while reading the body into the error to throw.
   */
  private async open(
    method: Dispatcher.HttpMethod,
    route: string,
    options: CallOptions,
  ): Promise<{ response: Dispatcher.ResponseData; fail: (error: unknown) => QdrantError | ActionError }> {
    const { url, signal, fail } = this.prepare(method, route, options);
    const json = options.json ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
    const isJson = json !== undefined;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method,
        dispatcher: this.agent,
        signal,
        headers: { ...this.headers, ...(isJson ? { 'content-type': 'application/json' } : {}) },
        body: json,
      });
    } catch (error) {
      throw fail(error);
    }
    // The deadline covers the body too: undici aborts a body still streaming when the signal fires.
    if (response.statusCode >= 200 && response.statusCode < 300) return { response, fail };
    const text = await response.body.text().catch(() => '');
    throw await this.httpError(method, route, response.statusCode, text, response.headers['retry-after']);
  }

  /**
   * The URL of a call, its signal (the call's deadline, plus the caller's signal) and `fail`, which turns an
   * error met during the call into the error to throw.
   */
  private prepare(
    method: string,
    route: string,
    options: CallOptions,
  ): { url: URL; signal: AbortSignal; fail: (error: unknown) => QdrantError | ActionError } {
    const url = new URL(this.url + route);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    const started = Date.now();
    // Fix: the deadline (or the caller's signal) may fire while the body streams. undici then destroys the
    // body with the signal's reason (a DOMException TimeoutError), which used to surface as an unknown,
    // retryable failure: each retry got a fresh deadline, so a 10-minute deadline could last 50 minutes.
    // Both are now recognised by the state of the signals, whatever error undici reports.
    const fail = (error: unknown): QdrantError | ActionError => {
      if (deadline.aborted) return this.timedOut(method, route, Date.now() - started, timeoutMs);
      if (options.signal?.aborted) return this.cancelled(method, route, error);
      return this.wrapFailure(method, route, error);
    };
    return { url, signal, fail };
  }

  private async httpError(
    method: string,
    route: string,
    status: number,
    text: string,
    retryAfter: string | string[] | undefined,
  ): Promise<QdrantError> {
    let qdrantMessage: string | undefined;
    try {
      const parsed = JSON.parse(text) as { status?: { error?: unknown } };
      if (typeof parsed?.status?.error === 'string') qdrantMessage = parsed.status.error;
    } catch {}
    const trimmed = text.trim();
    // Fix: only a 404 on `/` or an HTML 404 was recognised as "not Qdrant"; a proxy or another API answering
    // a plain 404 on /collections read as "Qdrant answered 404". Every route this client calls exists in
    // Qdrant, whose 404s are its JSON envelope or, for downloads, text starting "Not found:".
    if (status === 404 && qdrantMessage === undefined && !/^Not found:/.test(trimmed)) {
      return this.notQdrant(method, route, `it answered 404 with ${describeBody(text)}`);
    }
    // Fix: Qdrant renders some errors as text/plain (401, the upload's 403, download 404s); that text is
    // its own error message, and the 404 hint below needs it.
    if (qdrantMessage === undefined && trimmed && !/^[{[<]/.test(trimmed) && trimmed.length <= 1000) {
      qdrantMessage = trimmed;
    }
    let hint = hintFor(status, this.url, method);
    const collection = /^\/collections\/([^/]+)/.exec(route)?.[1];
    if (
      status === 404 &&
      collection &&
      collection !== 'aliases' &&
      // Fix: was /collection/i, which also matched "Snapshot my-collection-1.snapshot not found".
      /\bCollection `[^`]*` (doesn't|does not) exist/i.test(qdrantMessage ?? '')
    ) {
      const existing = await this.listCollectionsQuietly();
      hint = `Collections at ${this.url}: ${existing.length > 0 ? existing.join(', ') : 'none'}.`;
    }
    const retrySeconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    const detail = qdrantMessage ? `: ${qdrantMessage}` : text ? `: ${describeBody(text)}` : '';
    return new QdrantError(
      `Qdrant answered ${status} to ${method} ${route}${detail}${/[.!?]$/.test(detail) ? '' : '.'}${hint ? ` ${hint}` : ''}`,
      {
        method,
        path: route,
        status,
        qdrantMessage,
        retryAfterMs: Number.isFinite(retrySeconds) && retrySeconds > 0 ? retrySeconds * 1000 : undefined,
      },
    );
  }

  private async listCollectionsQuietly(): Promise<string[]> {
    try {
      const { response } = await this.open('GET', '/collections', { timeoutMs: 10_000 });
      const parsed = JSON.parse(await response.body.text()) as Envelope<CollectionsResponse>;
      return parsed.result.collections.map((c) => c.name).sort();
    } catch {
      return [];
    }
  }

  private wrapFailure(method: string, route: string, error: unknown): QdrantError | ActionError {
    if (error instanceof QdrantError || error instanceof ActionError) return error;
    const code = networkCode(error);
    if (code === 'ECONNREFUSED') {
      return new QdrantError(
        `Cannot connect to Qdrant at ${this.url} (connection refused) for ${method} ${route}. Is Qdrant running at that URL? Check 'url' (REST port, usually 6333) or use 'start: docker' / 'start: binary'.`,
        { method, path: route, code },
        { cause: error },
      );
    }
    if (code?.startsWith('ERR_SSL') || /wrong version number|ssl/i.test(String((error as Error)?.message))) {
      // node:http (uploads) reports a failed handshake as `write EPROTO ...:SSL routines:...:wrong version
      // number`, undici as ERR_SSL_WRONG_VERSION_NUMBER: name it the same way whichever reported it.
      const reason = /SSL routines:[^:]*:([a-z ]+)/i.exec(String((error as Error)?.message))?.[1];
      const tlsCode =
        code?.startsWith('ERR_SSL') || !reason
          ? code
          : `ERR_SSL_${reason.trim().toUpperCase().replace(/ /g, '_')}`;
      return new QdrantError(
        `TLS handshake with ${this.url} failed for ${method} ${route} (${tlsCode ?? 'SSL error'}). The port probably speaks plain HTTP: use an http:// URL, or enable TLS on the server.`,
        { method, path: route, code: 'TLS' },
        { cause: error },
      );
    }
    if (code === 'ENOSPC') {
      return new ActionError(
        `The disk is full while writing ${route}: free space on the runner or point 'path' at a larger volume.`,
        { cause: error },
      );
    }
    if (isConnectionError(error)) {
      return new QdrantError(
        `The connection to ${this.url} broke during ${method} ${route} (${code ?? (error as Error).message}).`,
        // Retryable whatever code undici gave a broken connection (see QdrantError.retryable).
        { method, path: route, code: code && isRetryableCode(code) ? code : 'ECONNRESET' },
        { cause: error },
      );
    }
    if (error instanceof Error && error.name === 'AbortError') return this.cancelled(method, route, error);
    // Fix: a local file error (the destination folder missing, no permission) used to become a retryable
    // QdrantError and was retried as if the server had failed. It is the runner's problem: say so.
    const local = error as NodeJS.ErrnoException;
    if (local instanceof Error && typeof local.path === 'string' && typeof local.syscall === 'string') {
      return new ActionError(`Cannot access ${local.path} during ${method} ${route}: ${local.message}`, {
        cause: error,
      });
    }
    return new QdrantError(
      `${method} ${route} at ${this.url} failed: ${error instanceof Error ? error.message : String(error)}`,
      { method, path: route, code },
      { cause: error },
    );
  }

  private cancelled(method: string, route: string, error: unknown): QdrantError {
    return new QdrantError(
      `${method} ${route} was cancelled.`,
      { method, path: route, code: 'ABORTED' },
      { cause: error },
    );
  }

  private timedOut(method: string, route: string, elapsedMs: number, timeoutMs: number): QdrantError {
    // Fix: the deadline was rounded to whole seconds, so a 300 ms deadline read "within 0 s".
    return new QdrantError(
      `Qdrant did not finish ${method} ${route} within ${seconds(timeoutMs)} s (gave up after ${(elapsedMs / 1000).toFixed(1)} s). Raise 'timeout' for large collections, or check the server.`,
      { method, path: route, code: 'TIMEOUT' },
    );
  }

  private notQdrant(method: string, route: string, why: string): QdrantError {
    return new QdrantError(
      `${this.url} is not a Qdrant REST API: ${method} ${route} failed because ${why}. Check 'url': it must be Qdrant's REST address (port 6333 by default), not a dashboard, proxy page or gRPC port.`,
      { method, path: route, code: 'NOT_QDRANT' },
    );
  }
}

export interface PointReadOptions {
  withVector?: boolean;
  withPayload?: boolean;
  signal?: AbortSignal;
}

export interface PageOptions {
  limit: number;
  /** The first id of the page (a previous page's `next_page_offset`); the first page when absent. */
  offset?: PointId | null;
}

/** JSON for a points request; bigint ids are written as plain integers. */
function pointsJson(body: Record<string, unknown>): string {
  return JSON.stringify(body, (_key, value: unknown) =>
    typeof value === 'bigint' ? `\u0000bigint:${value}\u0000` : value,
  ).replace(/"\\u0000bigint:(\d+)\\u0000"/g, '$1');
}

/** False for an id that JSON.parse may have rounded. */
function isExactId(id: PointId | null): boolean {
  return typeof id !== 'number' || Number.isSafeInteger(id);
}

/** An id from its JSON text: a UUID string, or an integer (a bigint when above 2^53). */
function exactId(text: string): PointId {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function withExactIds(points: PointRecord[], ids: PointId[], route: string): PointRecord[] {
  return points.map((point, i) => {
    const id = ids[i]!;
    // The exact id must round to the id the full answer carried: otherwise the two reads saw other points.
    const same = typeof id === 'bigint' ? Number(id) === point.id : id === point.id;
    if (!same) {
      throw new QdrantError(
        `The ids of ${route} changed between two reads: is the collection being written to?`,
        { method: 'POST', path: route },
      );
    }
    return { ...point, id };
  });
}

/** Seconds for a message: one decimal below 10 s, whole seconds above. */
function seconds(ms: number): string {
  return ms < 10_000 ? String(Math.round(ms / 100) / 10) : String(Math.round(ms / 1000));
}

function describeBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  if (/^<(!doctype|html)/i.test(trimmed)) return 'an HTML page';
  return JSON.stringify(trimmed.length > 120 ? `${trimmed.slice(0, 120)}...` : trimmed);
}
