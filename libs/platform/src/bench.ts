// `npm run bench -w @tacit/platform`: what the shell's bus transport costs per request against a
// direct kit-Bus handler doing the same work (decode, answer, encode), both over the in-process bus
// (no network, so the difference is the Nest pipeline and the client proxy). Alternating rounds,
// median and spread; prints a table.
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { InProcessBus } from '@tacit/kit';
import { busRoute, fromBinary, queueV1, toBinary } from '@tacit/proto';
import { BusClientProxy } from './bus-client.js';
import { BusHandle } from './bus-handle.js';
import { serveOnBus } from './serve.js';

const NEST = busRoute('tacit.bench.v1.nest', queueV1.AckRequestSchema, queueV1.AckReplySchema);
const DIRECT = busRoute('tacit.bench.v1.direct', queueV1.AckRequestSchema, queueV1.AckReplySchema);

@Controller()
class BenchController {
  @BusHandle(NEST)
  count(req: queueV1.AckRequest): queueV1.AckReply {
    return { $typeName: 'tacit.queue.v1.AckReply', deleted: req.packedRefs.length };
  }
}

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const IN_FLIGHT = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// A request the size of an ack of 1000 refs (36 KB): the queue's largest regular request.
const request = { $typeName: 'tacit.queue.v1.AckRequest', refs: [], packedRefs: new Uint8Array(36_000), packedSeqs: new Uint8Array(0) } as queueV1.AckRequest;

async function run(call: () => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next++ < REQUESTS) await call();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / REQUESTS; // µs of CPU per request
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const bus = new InProcessBus();
  const app = await serveOnBus(bus, { module: class BenchModule {}, controllers: [BenchController] });
  bus.serve(DIRECT.subject, (data) => {
    const req = fromBinary(DIRECT.request, data);
    return toBinary(DIRECT.reply, { $typeName: 'tacit.queue.v1.AckReply', deleted: req.packedRefs.length });
  });
  const proxy = new BusClientProxy(bus);
  const direct = () => bus.request(DIRECT.subject, toBinary(DIRECT.request, request)).then((b) => fromBinary(DIRECT.reply, b));
  const nest = () => proxy.call(NEST, request);
  await run(direct);
  await run(nest);
  const d: number[] = [];
  const n: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // A B, then B A: neither always gets the warmer slot.
    if (r % 2 === 0) {
      d.push(await run(direct));
      n.push(await run(nest));
    } else {
      n.push(await run(nest));
      d.push(await run(direct));
    }
  }
  await app.close();
  await bus.close();
  const f = (x: number) => x.toFixed(1);
  const extra = n.map((x, i) => x - d[i]!);
  process.stdout.write(
    `| path (in-process bus, ${REQUESTS} requests, ${IN_FLIGHT} in flight, ${ROUNDS} rounds) | CPU µs per request, median (min–max) |\n|---|--:|\n` +
      `| direct kit-Bus handler + bus.request | ${f(median(d))} (${f(Math.min(...d))}–${f(Math.max(...d))}) |\n` +
      `| @BusHandle through Nest + BusClientProxy.call | ${f(median(n))} (${f(Math.min(...n))}–${f(Math.max(...n))}) |\n` +
      `| the shell's extra per request | ${f(median(extra))} (${f(Math.min(...extra))}–${f(Math.max(...extra))}) |\n`,
  );
}

await main();
