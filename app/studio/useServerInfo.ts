'use client';
// Connects to the studio server over socket.io: keeps what it says about itself, and hands the
// one socket to the run hook (runs and the status light share a connection).
import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { ServerInfoSchema, type ClientToServerEvents, type ServerInfo, type ServerToClientEvents } from '../../protocol';

export type StudioSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type Connection =
  | { state: 'connecting' }
  | { state: 'connected'; info: ServerInfo }
  | { state: 'error'; message: string };

export function useServerInfo(): { conn: Connection; socket: StudioSocket | null } {
  const [conn, setConn] = useState<Connection>({ state: 'connecting' });
  const [socket, setSocket] = useState<StudioSocket | null>(null);
  useEffect(() => {
    const s: StudioSocket = io({ transports: ['websocket', 'polling'] });
    s.on('server:info', (raw) => {
      const parsed = ServerInfoSchema.safeParse(raw);
      setConn(parsed.success ? { state: 'connected', info: parsed.data } : { state: 'error', message: 'server sent an unreadable hello' });
    });
    s.on('connect_error', (err) => setConn({ state: 'error', message: err.message }));
    s.on('disconnect', () => setConn({ state: 'connecting' }));
    setSocket(s);
    return () => {
      s.close();
      setSocket(null);
    };
  }, []);
  return { conn, socket };
}
