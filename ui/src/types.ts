/** The format's types, from the one schema module — types only, never values. */
export type {
  ExitRecord, GapRecord, HeaderRecord, ProcessRecord, SyscallArgs, SyscallRecord, TraceRecord,
} from '../../consumer/src/schema.js';
export type {
  ClientMessage, ContainerSummary, FilesResponse, RecordsMessage, ResyncMessage, ServerMessage,
} from '../../consumer/src/protocol.js';
