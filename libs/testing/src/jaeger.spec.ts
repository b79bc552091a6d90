import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JaegerQueryError, MissingServerError } from './errors.js';
import { _isAlive, killAll } from './server.js';
import { startJaeger, type JaegerServer, type JaegerTrace } from './jaeger.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface SentSpan {
  service: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** POSTs spans of one trace as OTLP/HTTP JSON, one resource per service, as an SDK exports them. */
async function sendOtlp(server: JaegerServer, traceId: string, spans: SentSpan[]): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = {
    resourceSpans: spans.map((s, i) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: s.service } }] },
      scopeSpans: [
        {
          scope: { name: 'tacit-testing-spec' },
          spans: [
            {
              traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.parentSpanId ? 3 : 2, // CLIENT below a SERVER root, like a call between services
              startTimeUnixNano: String(now + BigInt(i) * 1_000_000n),
              endTimeUnixNano: String(now + 10_000_000n),
            },
          ],
        },
      ],
    })),
  };
  const res = await fetch(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

function serviceOf(trace: JaegerTrace, spanId: string): string | undefined {
  const span = trace.spans.find((s) => s.spanID === spanId);
  return span ? trace.processes[span.processID]?.serviceName : undefined;
}

/** `127.0.0.1:port` of every TCP socket that process `pid` listens on, read from /proc. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT (IPv4 little-endian); st 0A is LISTEN; field 9 the inode.
      if (f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      const [ip, port] = f[1]!.split(':') as [string, string];
      const v4 = (ip.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)).join('.');
      const addr = ip.length === 8 ? v4 : `[${ip}]`;
      out.push(`${addr}:${parseInt(port, 16)}`);
    }
  }
  return out.sort();
}

describe(startJaeger.name, () => {
  after(() => killAll({ signal: 'SIGKILL' }));

  it('stores a two-service trace sent over OTLP/HTTP, and returns it by id and by service', async () => {
    const sut = await startJaeger();
    try {
      const traceId = hex(16);
      const [rootId, childId] = [hex(8), hex(8)];
      await sendOtlp(sut, traceId, [
        { service: 'tacit-gateway', spanId: rootId, name: 'send' },
        { service: 'tacit-queue', spanId: childId, parentSpanId: rootId, name: 'enqueue' },
      ]);

      // No batch processor in the config: the spans are stored once the POST is answered.
      const trace = await sut.trace(traceId);
      assert.ok(trace, 'trace not found by id');
      assert.equal(trace.traceID, traceId);
      assert.deepEqual(trace.spans.map((s) => s.spanID).sort(), [rootId, childId].sort());
      const root = trace.spans.find((s) => s.spanID === rootId)!;
      const child = trace.spans.find((s) => s.spanID === childId)!;
      assert.deepEqual(root.references, []);
      assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: rootId }]);
      assert.equal(root.operationName, 'send');
      assert.equal(child.operationName, 'enqueue');
      assert.equal(serviceOf(trace, rootId), 'tacit-gateway');
      assert.equal(serviceOf(trace, childId), 'tacit-queue');

      // Searching by either service finds the whole trace, both services' spans.
      for (const service of ['tacit-gateway', 'tacit-queue']) {
        const found = await sut.traces(service);
        assert.deepEqual(found.map((t) => t.traceID), [traceId], service);
        assert.equal(found[0]!.spans.length, 2, service);
      }
      assert.deepEqual(await sut.traces('tacit-gateway', { operation: 'enqueue' }), []);
      assert.deepEqual(await sut.services(), ['tacit-gateway', 'tacit-queue']);
      assert.equal((await sut.waitForTrace(traceId, { spans: 2, timeoutMs: 2_000 })).spans.length, 2);
      assert.equal(await sut.trace(hex(16)), undefined);
    } finally {
      await sut.stop();
    }
  });

  it('listens only on its own four loopback ports, so two run at once, each with its own traces', async () => {
    const [a, b] = await Promise.all([startJaeger(), startJaeger()]);
    try {
      for (const sut of [a, b]) {
        const port = (url: string) => Number(new URL(url).port);
        const own = [sut.otlpHttpUrl, sut.otlpGrpcUrl, sut.queryUrl].map((u) => `127.0.0.1:${port(u)}`);
        const listening = listeningAddresses(sut.pid);
        // The fourth is the query service's gRPC port, which the helper does not expose.
        assert.equal(listening.length, 4, listening.join(', '));
        assert.ok(listening.every((addr) => addr.startsWith('127.0.0.1:')), listening.join(', '));
        for (const addr of own) assert.ok(listening.includes(addr), `${addr} not in ${listening.join(', ')}`);
      }
      assert.notEqual(a.port, b.port);

      const traceId = hex(16);
      await sendOtlp(a, traceId, [{ service: 'only-in-a', spanId: hex(8), name: 'op' }]);
      assert.equal((await a.trace(traceId))?.spans.length, 1);
      assert.equal(await b.trace(traceId), undefined);
      assert.deepEqual(await b.services(), []);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('restart() comes back on the same ports with an empty store', async () => {
    const sut = await startJaeger();
    try {
      const traceId = hex(16);
      await sendOtlp(sut, traceId, [{ service: 'before-restart', spanId: hex(8), name: 'op' }]);
      assert.ok(await sut.trace(traceId));
      const urls = [sut.otlpHttpUrl, sut.otlpGrpcUrl, sut.queryUrl];
      const pid = sut.pid;
      await sut.restart();
      assert.notEqual(sut.pid, pid);
      assert.deepEqual([sut.otlpHttpUrl, sut.otlpGrpcUrl, sut.queryUrl], urls);
      assert.equal(await sut.trace(traceId), undefined);
      await sendOtlp(sut, traceId, [{ service: 'after-restart', spanId: hex(8), name: 'op' }]);
      assert.deepEqual(await sut.services(), ['after-restart']);
    } finally {
      await sut.stop();
    }
  });

  it('stop() ends the process and removes its folder', async () => {
    const sut = await startJaeger();
    const { pid, dir } = sut;
    assert.ok(_isAlive(pid));
    await sut.stop();
    assert.equal(_isAlive(pid), false);
    assert.equal(existsSync(dir), false);
  });

  it('rejects bad arguments with errors that name the field', async () => {
    const range = (message: RegExp) => ({ name: 'RangeError', message });
    await assert.rejects(startJaeger({ maxTraces: 0 }), range(/"maxTraces" expected an integer >= 1, got 0/));
    const sut = await startJaeger();
    try {
      await assert.rejects(sut.trace('not-hex'), range(/"traceId" expected 32 \(or 16\) hex digits, got "not-hex"/));
      await assert.rejects(sut.traces(''), { name: 'TypeError', message: /"service" expected a non-empty string/ });
      await assert.rejects(sut.traces('x', { limit: 0 }), range(/"limit" expected an integer >= 1, got 0/));
      await assert.rejects(sut.waitForTrace(hex(16), { spans: 0 }), range(/"spans" expected an integer >= 1/));
      // A limit past int32 passes our check; Jaeger's parser refuses it, and that comes back typed.
      await assert.rejects(sut.traces('x', { limit: 2 ** 31 }), (err: unknown) => {
        assert.ok(err instanceof JaegerQueryError);
        assert.equal(err.status, 400);
        assert.match(err.messages.join(' '), /2147483648/);
        assert.match(err.message, /answered 400: .*value out of range/);
        return true;
      });
      await assert.rejects(sut.waitForTrace(hex(16), { timeoutMs: 200 }), /timed out after 200 ms waiting for trace /);
    } finally {
      await sut.stop();
    }
  });

  it('throws MissingServerError naming jaeger when the binary is not found', async () => {
    const bogus = join(tmpdir(), 'tacit-no-such-bin-dir');
    await assert.rejects(startJaeger({ binDirs: [bogus] }), (err: unknown) => {
      assert.ok(err instanceof MissingServerError);
      assert.equal(err.binary, 'jaeger');
      return true;
    });
  });
});
