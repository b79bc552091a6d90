// Driver for Tacit: the real SDK client (RelayClient) over `ws`. Each pair's receiver has a
// mailbox identity derived from the pair number, so its sender knows the peer key to address.
// The bench payload (256 bytes, stamp in the first 20) travels as 252 bytes of application data:
// the SDK's 4-byte padding prefix makes the packet payload exactly the 256-byte size bucket, the
// same payload size the baseline carries on the wire.
import { WebSocket } from 'ws';
import { ed25519 } from '@tacit/crypto';
import { PAD_PREFIX_LEN } from '@tacit/protocol';
import { RelayClient, type MailboxIdentity, type WebSocketLike } from '@tacit/sdk';
import type { CreateDriver, DriverSender, LoadDriver, ConnectOptions } from '../load/driver.js';

function identityFor(salt: number, role: number, pair: number): MailboxIdentity {
  const seed = new Uint8Array(32);
  const v = new DataView(seed.buffer);
  v.setUint32(0, 0x74616369); // "taci"
  v.setUint32(4, salt >>> 0);
  v.setUint32(8, role);
  v.setUint32(12, pair);
  return { secretKey: seed, publicKey: ed25519.getPublicKey(seed) };
}

function factory(options?: ConnectOptions) {
  return (url: string) =>
    new WebSocket(url, { perMessageDeflate: false, ...(options?.localAddress ? { localAddress: options.localAddress } : {}) }) as unknown as WebSocketLike;
}

/** Creates the Tacit driver; options: `namespace` (hex, 32 bytes), `salt` (number). */
export const createDriver: CreateDriver = (options): LoadDriver => {
  const namespaceId = Buffer.from(String(options.namespace ?? '11'.repeat(32)), 'hex');
  const salt = Number(options.salt ?? 1);
  // allowVersion1: a --compare build from before protocol v2 speaks only v1; this build's gateway
  // picks v2 (the highest both speak), so each server is measured on its own protocol.
  const common = { namespaceId, minBackoffMs: 50, maxBackoffMs: 1000, allowVersion1: true };
  return {
    async openReceiver(pair, url, onPayload, connect) {
      const client = new RelayClient({
        ...common,
        urls: [url],
        identity: identityFor(salt, 1, pair),
        webSocket: factory(connect),
        onMessage: (m) => onPayload(m.payload),
      });
      await client.connect();
      return { close: () => client.close() };
    },

    async openSender(pair, url, onAccepted, connect): Promise<DriverSender> {
      const client = new RelayClient({
        ...common,
        urls: [url],
        identity: identityFor(salt, 2, pair),
        webSocket: factory(connect),
        receive: false,
      });
      await client.connect();
      const recipient = identityFor(salt, 1, pair).publicKey;
      return {
        acknowledges: true,
        send(payload) {
          const body = payload.length > 256 - PAD_PREFIX_LEN ? payload.subarray(0, 256 - PAD_PREFIX_LEN) : payload;
          const sentAt = performance.now();
          client.send(recipient, body).then(() => onAccepted(performance.now() - sentAt), () => undefined);
        },
        close: () => client.close(),
      };
    },
  };
};
