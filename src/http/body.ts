/** Reading a JSON request body: content type (415), size (413), UTF-8 and JSON syntax (400 invalid_json), nesting depth (400). */
import type { Context } from 'hono';
import { InvalidInput } from '../errors.js';
import { firstTooDeep, MAX_JSON_DEPTH } from '../json/depth.js';
import { ApiError } from './errors.js';

/** The whole request body at most (SPEC 4.3). */
export const MAX_BODY_BYTES = 128 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The parsed body and its exact text. */
export interface JsonBody {
  readonly value: unknown;
  readonly text: string;
}

// A PATCH body is a JSON merge patch (RFC 7396), which has a media type of its own; plain JSON is taken too.
const MERGE_PATCH = 'application/merge-patch+json';

/** Reads and parses the body as strict JSON (a PATCH's also as application/merge-patch+json). */
export async function readJsonBody(c: Context, maxBytes: number = MAX_BODY_BYTES): Promise<JsonBody> {
  const type = c.req.header('content-type') ?? '';
  const [mime, ...params] = type.split(';').map((s) => s.trim().toLowerCase());
  const patch = c.req.method === 'PATCH';
  if ((mime !== 'application/json' && !(patch && mime === MERGE_PATCH)) || params.some((p) => p.startsWith('charset=') && p !== 'charset=utf-8')) {
    throw new ApiError(415, 'unsupported_media_type', `send the body as Content-Type: application/json${patch ? ` or ${MERGE_PATCH}` : ''} (UTF-8)`);
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes, declared <= maxBytes + DRAIN_BYTES && (await drained(c.req.raw, DRAIN_BYTES)));
  // With a declared length the HTTP parser holds the body to it, and arrayBuffer() reads the socket directly;
  // a chunked body is counted as it streams in.
  const bytes = Number.isInteger(declared) ? new Uint8Array(await c.req.raw.arrayBuffer()) : await readLimited(c.req.raw, maxBytes);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
  const deep = firstTooDeep(text);
  if (deep) throw new InvalidInput([{ path: deep.member, message: `nests arrays and objects more than ${MAX_JSON_DEPTH} deep` }]);
  return { value, text };
}

async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength;
    if (size > maxBytes) {
      reader.releaseLock();
      throw tooLarge(maxBytes, await drained(req, DRAIN_BYTES - (size - maxBytes)));
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}

// A refused body is read on, and thrown away, up to this much more, so that a client that sends its whole
// body before it reads the answer gets the answer on a connection it can keep; past it, the connection closes.
const DRAIN_BYTES = 1024 * 1024;

/** Reads the rest of `req`'s body, discarding it; true when it ended within `budget` bytes. */
async function drained(req: Request, budget: number): Promise<boolean> {
  if (!req.body) return true;
  const reader = req.body.getReader();
  let left = budget;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    left -= next.value.byteLength;
    if (left < 0) {
      reader.releaseLock();
      return false;
    }
  }
  return true;
}

/**
 * A body over the limit. When it was not read to its end (`readToEnd`
 * false), the connection is closed after the answer (`Connection: close`),
 * so that a client reusing it does not send its next request into a socket
 * the server is about to drop.
 */
function tooLarge(maxBytes: number, readToEnd: boolean): ApiError {
  return new ApiError(413, 'payload_too_large', `the body must be at most ${maxBytes} bytes`, undefined, readToEnd ? undefined : { Connection: 'close' });
}
