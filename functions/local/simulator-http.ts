/** The simulator's small HTTP helpers: a JSON answer and a body read in full. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers `body` as JSON with `status` and any extra headers. */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** The whole request body; the login path takes what the broker sends, faults included. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
