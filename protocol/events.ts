// The socket.io contract between the studio (app/) and the server (server/). Both sides type
// their sockets with these maps, so a renamed event or a changed payload fails to compile on
// both ends at once. Event names are `domain:verb`.
import { z } from 'zod';

/** What the server says about itself on connect, and what /healthz answers. */
export const ServerInfoSchema = z.object({
  ok: z.literal(true),
  backend: z.string(),
  version: z.string(),
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

/** client → server `server:ping`: a round-trip probe; the ack echoes the client's clock. */
export const PingRequestSchema = z.object({ clientTime: z.number().finite() }).strict();
export type PingRequest = z.infer<typeof PingRequestSchema>;
export interface PingReply {
  clientTime: number;
  serverTime: number;
}

export interface ServerToClientEvents {
  'server:info': (info: ServerInfo) => void;
}

export interface ClientToServerEvents {
  'server:ping': (req: PingRequest, ack: (reply: PingReply | ProtocolError) => void) => void;
}

/** Per-socket data the server keeps (socket.io's `socket.data`). */
export interface SocketData {
  connectedAt: number;
}

export interface InterServerEvents {}

/** One table of error codes for everything that crosses the wire. */
export const ERROR_CODES = {
  BAD_REQUEST: 'the payload did not match the schema',
  INTERNAL: 'the server failed; the message says how',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export interface ProtocolError {
  ok: false;
  error: { code: ErrorCode; message: string };
}

export function protocolError(code: ErrorCode, message: string = ERROR_CODES[code]): ProtocolError {
  return { ok: false, error: { code, message } };
}

/** Parse what arrived from the network; never trust a payload's shape. */
export function parsePayload<S extends z.ZodTypeAny>(
  schema: S,
  payload: unknown,
): { ok: true; value: z.infer<S> } | ProtocolError {
  const r = schema.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return protocolError('BAD_REQUEST', msg);
}
