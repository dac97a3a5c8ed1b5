/**
 * Dashboard wire protocol v1 — the messages between runc-trace-consumer --listen and the browser
 * dashboard (ui/), and the JSON bodies of its HTTP API. Part of the format definition next to
 * schema.ts: records travel as schema-v1 TraceRecords, unchanged.
 *
 * This module and schema.ts import nothing but zod, so the browser may import their values (to
 * validate at its edge) without pulling in server code; consumer/test/server-boundary.test.ts
 * enforces that.
 */
import { z } from 'zod';
import { Timestamp, TraceRecord } from './schema.js';

export const PROTOCOL_VERSION = 1 as const;

/**
 * A live stream is one open JSONL writer (one tenant of a container id); its number is unique for
 * the lifetime of the server, unlike the container id, which a new container may reuse.
 */
const StreamId = z.number().int().nonnegative();

/** Where a container's trace stands. */
export const TraceState = z.enum([
  'running', // a writer is open: records are arriving
  'exited', // the file ends with an exit record
  'incomplete', // no exit record and nobody writes it (consumer stopped or killed)
]);

/** One container trace: a file in --out DIR, live or recorded. */
export const ContainerSummary = z.object({
  file: z.string().describe('file name in --out DIR, e.g. "web.jsonl"; key for /api/files/<file>'),
  container: z.string(),
  stream: StreamId.nullable().describe('live stream to subscribe to; null for recorded files'),
  state: TraceState,
  status: z.number().int().nullable().describe('init exit code once exited'),
  signal: z.string().nullable(),
  records: z.number().int().nonnegative().nullable().describe('syscall and process records; null = not known until read'),
  lost: z.number().int().nonnegative().nullable().describe('sum of gap.lost; null = not known until read'),
  started: Timestamp.nullable(),
  bytes: z.number().int().nonnegative().nullable(),
});

/** Body of GET /api/files. */
export const FilesResponse = z.object({ files: z.array(ContainerSummary) });

const Hello = z.object({
  type: z.literal('hello'),
  v: z.literal(PROTOCOL_VERSION),
  server: z.string(),
  heartbeat_ms: z.number().int().positive(),
  max_frames_per_s: z.number().int().positive(),
  queue_cap: z.number().int().positive().describe('records a client may lag behind before a resync'),
});

const Containers = z.object({
  type: z.literal('containers'),
  containers: z.array(ContainerSummary),
});

const Subscribed = z.object({
  type: z.literal('subscribed'),
  stream: StreamId,
  file: z.string(),
  not_in_memory: z.number().int().nonnegative()
    .describe('records before the first one sent that the server no longer holds (read the file for them)'),
});

const Records = z.object({
  type: z.literal('records'),
  stream: StreamId,
  from: z.number().int().nonnegative().describe('position of records[0] in the stream'),
  records: z.array(TraceRecord),
});

const Resync = z.object({
  type: z.literal('resync'),
  stream: StreamId,
  dropped: z.number().int().positive().describe('records of the stream this client will not receive'),
  total_dropped: z.number().int().positive(),
  reason: z.enum(['slow-client', 'backlog-overrun']),
  from: z.number().int().nonnegative().describe('position of the next record that will be sent'),
});

const Heartbeat = z.object({ type: z.literal('heartbeat'), ts: z.number() });

const Shutdown = z.object({
  type: z.literal('shutdown'),
  reason: z.string(),
  reconnect: z.boolean().describe('whether a server is expected back (false: consumer stopping)'),
});

const ProtocolError = z.object({ type: z.literal('error'), message: z.string() });

export const ServerMessage = z.discriminatedUnion('type', [
  Hello, Containers, Subscribed, Records, Resync, Heartbeat, Shutdown, ProtocolError,
]);

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), stream: StreamId }),
  z.object({ type: z.literal('unsubscribe'), stream: StreamId }),
]);

export type TraceState = z.infer<typeof TraceState>;
export type ContainerSummary = z.infer<typeof ContainerSummary>;
export type FilesResponse = z.infer<typeof FilesResponse>;
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ClientMessage = z.infer<typeof ClientMessage>;
export type RecordsMessage = z.infer<typeof Records>;
export type ResyncMessage = z.infer<typeof Resync>;
