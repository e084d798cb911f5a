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

/** Reads and parses the body as strict JSON. */
export async function readJsonBody(c: Context, maxBytes: number = MAX_BODY_BYTES): Promise<JsonBody> {
  const type = c.req.header('content-type') ?? '';
  const [mime, ...params] = type.split(';').map((s) => s.trim().toLowerCase());
  if (mime !== 'application/json' || params.some((p) => p.startsWith('charset=') && p !== 'charset=utf-8')) {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json (UTF-8)');
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
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
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The body was refused before it was read to its end: the connection is
 * closed after the answer (`Connection: close`), so that a client reusing it
 * does not send its next request into a socket the server is about to drop.
 */
function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'payload_too_large', `the body must be at most ${maxBytes} bytes`, undefined, { Connection: 'close' });
}
