// Qdrant's error taxonomy (lib/storage/src/content_manager/errors.rs) with the HTTP status each
// variant maps to (src/actix/helpers.rs). The message prefixes are what Qdrant puts on the wire.

export class QdrantError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} message full message, prefix included
   * @param {{ plainText?: boolean, headers?: Record<string, string> }} [opts]
   *   plainText: actix `ResponseError` default rendering (text/plain body instead of the JSON envelope)
   */
  constructor(status, message, opts = {}) {
    super(message);
    this.status = status;
    this.plainText = opts.plainText ?? false;
    this.headers = opts.headers ?? {};
  }
}

/** @param {string} d */
export const badInput = (d) => new QdrantError(400, `Wrong input: ${d}`);
/** @param {string} d */
export const alreadyExists = (d) => new QdrantError(409, `Wrong input: ${d}`);
/** @param {string} d */
export const notFound = (d) => new QdrantError(404, `Not found: ${d}`);
/** @param {string} d */
export const badRequest = (d) => new QdrantError(400, `Bad request: ${d}`);
/** @param {string} d */
export const serviceError = (d) => new QdrantError(500, `Service internal error: ${d}`);
/** @param {string} d */
export const forbidden = (d) => new QdrantError(403, `Forbidden: ${d}`);
/** @param {string} expected @param {string} actual */
export const checksumMismatch = (expected, actual) =>
  new QdrantError(400, `Checksum mismatch: expected ${expected}, actual ${actual}`);
/** @param {string} what e.g. 'JSON body' */
export const formatError = (what, d) => new QdrantError(400, `Format error in ${what}: ${d}`);
/** @param {string} what e.g. 'query parameters' */
export const validationError = (what, d) => new QdrantError(422, `Validation error in ${what}: ${d}`);
/** @param {string} what */
export const deserializeError = (what, d) => new QdrantError(400, `Deserialize error in ${what}: ${d}`);
/** @param {string} name */
export const collectionNotFound = (name) => notFound(`Collection \`${name}\` doesn't exist!`);
