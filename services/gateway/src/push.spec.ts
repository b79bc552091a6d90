// The push endpoints on a real HTTP listener, through the real push client, over the in-process bus
// and a real nats-server, to a tiny responder serving PUSH_ROUTES in the push service's place: a
// registration reaches it with every signed byte intact and the requester the gateway names (the
// client's address key), its refusals come back typed with their statuses, and with no push service
// the client hears 503 UNAVAILABLE with Retry-After.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger, InProcessBus, Metrics, NatsBus, type Bus, type BusSubscription } from '@tacit/kit';
import { BusClientProxy } from '@tacit/platform';
import { create, fromBinary, PUSH_GROUP, PUSH_LIMITS, PUSH_ROUTES, pushV1, toBinary } from '@tacit/proto';
import { decodePushErrorBody, MAX_CLAIM, type PushError } from '@tacit/protocol';
import { BusPushClient } from '@tacit/push-client';
import { startNats, type NatsServer } from '@tacit/testing';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import { EndpointLimiter } from './endpoint-limiter.js';
import { PushEndpoint } from './push.js';
import type { GatewayShutdown } from './shutdown.js';
import { midMinute, settings } from './spec-fixtures.js';
import { httpPost, rawHttp, type HttpAnswer } from './spec-http.js';

/** Stands for the push service: answers PUSH_ROUTES with `status`, and keeps what reached it. */
class Responder {
  readonly registers: pushV1.RegisterRequest[] = [];
  readonly unregisters: pushV1.UnregisterRequest[] = [];
  status = pushV1.PushStatus.OK;
  readonly #subs: BusSubscription[];

  constructor(bus: Bus) {
    this.#subs = [
      bus.serve(
        PUSH_ROUTES.register.subject,
        (data) => {
          const req = fromBinary(pushV1.RegisterRequestSchema, data);
          this.registers.push(req);
          const ok = this.status === pushV1.PushStatus.OK;
          return toBinary(pushV1.RegisterReplySchema, create(pushV1.RegisterReplySchema, ok ? { status: this.status, mailboxes: req.dests.length, expiresAtMs: 1_800_691_200_000n } : { status: this.status, field: 'signature', message: 'refused here' }));
        },
        { queue: PUSH_GROUP },
      ),
      bus.serve(
        PUSH_ROUTES.unregister.subject,
        (data) => {
          this.unregisters.push(fromBinary(pushV1.UnregisterRequestSchema, data));
          return toBinary(pushV1.UnregisterReplySchema, create(pushV1.UnregisterReplySchema, { status: this.status }));
        },
        { queue: PUSH_GROUP },
      ),
    ];
  }

  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}

/** A registration of a CLAIM's most dests with a Web Push endpoint of the longest length the service takes. */
function biggest(): pushV1.RegisterRequest {
  return create(pushV1.RegisterRequestSchema, {
    peerKey: new Uint8Array(32).fill(1),
    dests: Array.from({ length: MAX_CLAIM }, (_, i) => new Uint8Array(32).fill(i & 0xff)),
    target: {
      provider: pushV1.PushProvider.WEB_PUSH,
      endpoint: `https://push.example/${'e'.repeat(PUSH_LIMITS.maxTargetLength - 20)}`,
      p256dh: 'B'.repeat(87),
      auth: 'A'.repeat(22),
    },
    issuedAtMs: 1_800_000_000_000n,
    signature: new Uint8Array(64).fill(9),
  });
}

const unregister = () => toBinary(pushV1.UnregisterRequestSchema, create(pushV1.UnregisterRequestSchema, { peerKey: new Uint8Array(32).fill(1), issuedAtMs: 1_800_000_000_001n, signature: new Uint8Array(64).fill(8) }));

function typed(a: HttpAnswer): PushError {
  return decodePushErrorBody(a.status, a.body.toString());
}

describe(PushEndpoint.name, () => {
  const servers: Server[] = [];
  const shutdown = { accepting: true } as GatewayShutdown;
  after(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  /** The push endpoints of one gateway whose push client calls over `bus`. */
  const start = async (bus: Bus, over: Record<string, string> = {}): Promise<{ port: number; salt: AddressSalt }> => {
    const config = settings(over);
    const salt = new AddressSalt();
    const client = new BusPushClient(new BusClientProxy(bus, { timeoutMs: 2000 }));
    const sut = new PushEndpoint(client, new EndpointLimiter({ now: midMinute }), salt, new ClientAddresses(config), shutdown, createLogger({ service: 'gateway', write: () => {} }), new Metrics({ service: 'gateway', defaultMetrics: false }), config);
    const server = createServer((req, res) => (sut.accepts(req) ? sut.handle(req, res) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return { port: (server.address() as AddressInfo).port, salt };
  };

  /** What every bus must show: `service` is where the responder serves, `gateway` where the push client calls. */
  const roundTrip = async (service: Bus, gateway: Bus): Promise<void> => {
    const responder = new Responder(service);
    await service.settled();
    try {
      const { port, salt } = await start(gateway);
      const body = toBinary(pushV1.RegisterRequestSchema, biggest());
      assert.ok(body.length <= settings().GATEWAY_PUSH_MAX_BODY_BYTES, `the biggest registration (${body.length} bytes) fits the default cap`);
      const ok = await httpPost(port, '/v1/push/register', body);
      assert.equal(ok.status, 200, ok.body.toString());
      assert.equal(ok.headers['content-type'], 'application/octet-stream');
      const reply = fromBinary(pushV1.RegisterReplySchema, new Uint8Array(ok.body));
      assert.deepEqual([reply.status, reply.mailboxes, reply.expiresAtMs], [pushV1.PushStatus.OK, MAX_CLAIM, 1_800_691_200_000n]);
      // The request arrived with every byte the device signed, and the requester the gateway named.
      const seen = responder.registers.at(-1)!;
      assert.equal(seen.requester, salt.key('127.0.0.1'));
      assert.doesNotMatch(seen.requester, /127\.0\.0\.1/);
      assert.deepEqual(toBinary(pushV1.RegisterRequestSchema, { ...seen, requester: '' }), body);

      const off = await httpPost(port, '/v1/push/unregister', unregister());
      assert.equal(off.status, 200);
      assert.equal(fromBinary(pushV1.UnregisterReplySchema, new Uint8Array(off.body)).status, pushV1.PushStatus.OK);
      assert.deepEqual(toBinary(pushV1.UnregisterRequestSchema, { ...responder.unregisters.at(-1)!, requester: '' }), unregister());
      assert.equal(responder.unregisters.at(-1)!.requester, salt.key('127.0.0.1'));

      // The service's refusals, each with its status and field.
      const refusals: Array<[pushV1.PushStatus, number, string]> = [
        [pushV1.PushStatus.BAD_PROOF, 401, 'BAD_PROOF'],
        [pushV1.PushStatus.STALE, 409, 'STALE'],
        [pushV1.PushStatus.UNSUPPORTED, 422, 'UNSUPPORTED'],
        [pushV1.PushStatus.MALFORMED, 400, 'MALFORMED'],
        [pushV1.PushStatus.RATE_LIMITED, 429, 'RATE_LIMITED'],
      ];
      for (const [status, http, code] of refusals) {
        responder.status = status;
        const got = await httpPost(port, '/v1/push/register', body);
        assert.deepEqual([got.status, typed(got).code, typed(got).field, typed(got).message], [http, code, 'signature', 'refused here'], code);
      }
      responder.status = pushV1.PushStatus.NOT_FOUND;
      assert.deepEqual([(await httpPost(port, '/v1/push/unregister', unregister())).status], [404]);
      responder.status = pushV1.PushStatus.OK;

      // No push service: 503 with Retry-After, whatever the bus says inside.
      responder.stop();
      await service.settled();
      const down = await httpPost(port, '/v1/push/register', body);
      assert.deepEqual([down.status, typed(down).code, typed(down).field, down.headers['retry-after']], [503, 'UNAVAILABLE', 'push', '1']);
      assert.ok(!down.body.toString().includes('tacit.push'), 'bus details stay inside');
    } finally {
      responder.stop();
    }
  };

  it('over the in-process bus: passes register and unregister through with the requester set and the signed bytes intact; refusals typed; no service → 503', async () => {
    const bus = new InProcessBus();
    try {
      await roundTrip(bus, bus);
    } finally {
      await bus.close();
    }
  });

  describe('over a real nats-server', () => {
    let nats: NatsServer;
    before(async () => {
      nats = await startNats({ jetstream: false });
    });
    after(async () => {
      await nats.stop();
    });

    it('passes register and unregister through from one connection to another; refusals typed; no service → 503', async () => {
      const [service, gateway] = [await NatsBus.connect({ url: nats.url, name: 'push' }), await NatsBus.connect({ url: nats.url, name: 'gateway' })];
      try {
        await roundTrip(service, gateway);
      } finally {
        await gateway.close();
        await service.close();
      }
    });
  });

  it('refuses a body that is no request, or that names a requester itself, as MALFORMED before the service sees it', async () => {
    const bus = new InProcessBus();
    const responder = new Responder(bus);
    try {
      const { port } = await start(bus);
      const junk = await httpPost(port, '/v1/push/register', Uint8Array.of(0x0f, 0xff));
      assert.deepEqual([junk.status, typed(junk).code, typed(junk).field], [400, 'MALFORMED', 'body']);
      const named = toBinary(pushV1.RegisterRequestSchema, create(pushV1.RegisterRequestSchema, { ...biggest(), requester: 'someone-else' }));
      const picked = await httpPost(port, '/v1/push/register', named);
      assert.deepEqual([picked.status, typed(picked).code, typed(picked).field], [400, 'MALFORMED', 'requester']);
      const offNamed = toBinary(pushV1.UnregisterRequestSchema, create(pushV1.UnregisterRequestSchema, { requester: 'x' }));
      assert.equal(typed(await httpPost(port, '/v1/push/unregister', offNamed)).field, 'requester');
      assert.deepEqual([responder.registers.length, responder.unregisters.length], [0, 0]);
    } finally {
      responder.stop();
      await bus.close();
    }
  });

  it('takes at most GATEWAY_PUSH_MAX_BODY_BYTES (413 past it, unread) and counts registrations and unregistrations per address in windows apart (429 with Retry-After)', async () => {
    const bus = new InProcessBus();
    const responder = new Responder(bus);
    try {
      const { port } = await start(bus, { GATEWAY_PUSH_MAX_BODY_BYTES: String(40 * 1024), GATEWAY_PUSH_REGISTERS_PER_MINUTE: '2', GATEWAY_PUSH_UNREGISTERS_PER_MINUTE: '1' });
      const big = await rawHttp(port, `POST /v1/push/register HTTP/1.1\r\nhost: x\r\ncontent-length: ${40 * 1024 + 1}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 413 /);
      assert.match(big, /"code":"TOO_LARGE"/);
      const body = toBinary(pushV1.RegisterRequestSchema, biggest());
      const statuses = [];
      for (let i = 0; i < 2; i++) statuses.push((await httpPost(port, '/v1/push/register', body)).status);
      assert.deepEqual(statuses, [200, 200], 'a body refused by its Content-Length spent no window');
      const over = await httpPost(port, '/v1/push/register', body);
      assert.deepEqual([over.status, typed(over).code, typed(over).field], [429, 'RATE_LIMITED', 'requester']);
      assert.ok(Number(over.headers['retry-after']) >= 1);
      assert.equal((await httpPost(port, '/v1/push/unregister', unregister())).status, 200, 'unregistrations have their own window');
      assert.equal((await httpPost(port, '/v1/push/unregister', unregister())).status, 429);
      assert.equal(responder.registers.length, 2);
    } finally {
      responder.stop();
      await bus.close();
    }
  });
});
