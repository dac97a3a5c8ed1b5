/**
 * The Web Worker that runs the live feed (feed.ts): socket, parsing and validation happen here,
 * off the page's main thread. Started by conn.ts.
 */
import { Feed, type FeedCommand, type FeedEvent } from './feed.js';

const scope = globalThis as unknown as { postMessage(e: FeedEvent): void; onmessage: ((e: MessageEvent<FeedCommand>) => void) | null };
const feed = new Feed((e) => scope.postMessage(e));
scope.onmessage = (e) => feed.command(e.data);
