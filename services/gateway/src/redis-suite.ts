// For specs: a real Redis per describe block, as the gateway's Redis-backed limits and salt use it
// across replicas (spec-fixtures.ts holds the rest of the gateway's spec helpers).
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@tacit/testing';

/**
 * A real Redis for the enclosing describe block (started before its tests, stopped after), and
 * clients to it as replicas would hold them, disconnected after.
 */
export function redisForSuite(): { readonly server: RedisServer; connect(): Redis } {
  let redis: RedisServer | undefined;
  const clients: Redis[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });
  return {
    /** The server (to kill and start again); there once the suite's tests run. */
    get server(): RedisServer {
      return redis!;
    },
    connect(): Redis {
      const r = new Redis(redis!.url, { maxRetriesPerRequest: 1, lazyConnect: false });
      r.on('error', () => undefined);
      clients.push(r);
      return r;
    },
  };
}
