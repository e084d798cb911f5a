/**
 * The shapes of the agent's own stream (SPEC 8.3): the query of
 * GET /v1/stream, the messages a listener sends (ack, nack, pong) and the
 * ones the server sends besides the wakes (ready, error). A wake is the 6.1
 * JSON (dispatch/wake-body.ts) plus its `signature` (dispatch/deliverers/stream.ts).
 */
import { z } from 'zod';
import { storedText } from './fields.js';

const TAG = storedText({ min: 1, max: 64, message: 'must be 1 to 64 characters' });

/** `tags=a,b`: the listener's filter, parsed into the list. */
const TagList = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(TAG).min(1).max(16, { error: 'must name at most 16 tags' }))
  .describe('Only wakes of alarms carrying one of these tags: a comma list of up to 16 tags. Without it, every wake of the caller\'s stream alarms.');

/** The query of `GET /v1/stream`. */
export const StreamQuery = z.strictObject({
  tags: TagList.optional(),
  access_token: z.string().optional().describe('The transport token, for a client that cannot send Authorization (a browser\'s WebSocket); the header wins when both are given.'),
  principal: z.string().optional().describe('The principal token, for a client that cannot send X-Chronos-Principal; the header wins when both are given.'),
});

const FireId = z.string({ error: 'must be the fire_id of the wake, like "fir_..."' }).min(1).max(100);

/** `{"type": "ack", "fire_id"}`: the wake is taken (the 2xx of SPEC 6.2). */
export const StreamAck = z.object({ type: z.literal('ack'), fire_id: FireId });

/** `{"type": "nack", "fire_id", "retry", "error"?}`: the wake is refused; sent again later when `retry`, else the occurrence fails. */
export const StreamNack = z.object({
  type: z.literal('nack'),
  fire_id: FireId,
  retry: z.boolean({ error: 'must be true (send it again later) or false (give up on this occurrence)' }),
  error: z.string({ error: 'must be a string saying what went wrong' }).optional(),
});

/** `{"type": "pong"}`: a sign of life, for a client that cannot answer the server's WebSocket pings. */
export const StreamPong = z.object({ type: z.literal('pong') });

/** Any message a listener may send. */
export const StreamClientMessage = z.discriminatedUnion('type', [StreamAck, StreamNack, StreamPong], {
  error: 'must be {"type": "ack", "fire_id"}, {"type": "nack", "fire_id", "retry", "error"?} or {"type": "pong"}',
});
/** A listener's message, as validated. */
export type StreamClientMessage = z.infer<typeof StreamClientMessage>;

/** Sent once the connection is a listener every replica knows of: wakes of the caller's stream alarms come from now on. */
export const StreamReady = z.strictObject({
  type: z.literal('ready'),
  connection_id: z.string(),
  agent_did: z.string(),
  tags: z.array(z.string()).nullable().describe('The filter, or null: every stream wake of the caller.'),
});
/** A ready message. */
export type StreamReady = z.infer<typeof StreamReady>;

/** Sent back for a message the server could not use; the connection stays open. */
export const StreamError = z.strictObject({
  type: z.literal('error'),
  code: z.enum(['invalid_json', 'invalid_message', 'unknown_fire_id']),
  message: z.string(),
});
/** An error message. */
export type StreamError = z.infer<typeof StreamError>;
