// The yardstick: the least a WebSocket relay can do. A client registers an id with a text frame
// {"type":"register","id":"<32 hex>"} (answered {"type":"registered"}); a binary frame is a
// 16-byte destination id followed by the payload, which goes to whoever registered that id.
// No persistence, no acks, no auth. Run: node baseline-relay.js [port]; prints "READY <port>".
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 0);
const byId = new Map<string, WebSocket>();
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });

wss.on('connection', (ws) => {
  let myId: string | undefined;
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      if (data.length < 16) return;
      const dest = byId.get(data.toString('hex', 0, 16));
      if (dest) dest.send(data.subarray(16), { binary: true });
      return;
    }
    try {
      const msg = JSON.parse(data.toString('utf8')) as { type?: unknown; id?: unknown };
      if (msg.type === 'register' && typeof msg.id === 'string' && /^[0-9a-f]{32}$/.test(msg.id)) {
        myId = msg.id;
        byId.set(myId, ws);
        ws.send('{"type":"registered"}');
      }
    } catch {
      // not JSON: ignored, as a minimal relay would
    }
  });
  ws.on('close', () => {
    if (myId !== undefined && byId.get(myId) === ws) byId.delete(myId);
  });
  ws.on('error', () => ws.terminate());
});

wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr ? addr.port : addr}\n`);
});

const stop = (): void => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
