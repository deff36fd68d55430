'use client';
// Connects to the studio server over socket.io and keeps what it says about itself.
import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { ServerInfoSchema, type ClientToServerEvents, type ServerInfo, type ServerToClientEvents } from '../../protocol';

export type StudioSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type Connection =
  | { state: 'connecting' }
  | { state: 'connected'; info: ServerInfo }
  | { state: 'error'; message: string };

export function useServerInfo(): Connection {
  const [conn, setConn] = useState<Connection>({ state: 'connecting' });
  useEffect(() => {
    const socket: StudioSocket = io({ transports: ['websocket', 'polling'] });
    socket.on('server:info', (raw) => {
      const parsed = ServerInfoSchema.safeParse(raw);
      setConn(parsed.success ? { state: 'connected', info: parsed.data } : { state: 'error', message: 'server sent an unreadable hello' });
    });
    socket.on('connect_error', (err) => setConn({ state: 'error', message: err.message }));
    socket.on('disconnect', () => setConn({ state: 'connecting' }));
    return () => {
      socket.close();
    };
  }, []);
  return conn;
}
