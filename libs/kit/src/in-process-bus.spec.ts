import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBus } from './in-process-bus.js';
import { InternalError, NoRespondersError, ResourceExhaustedError, TimeoutError, UnavailableError } from './errors.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe(InProcessBus.name, () => {
  it('answers a request', async () => {
    const sut = new InProcessBus();
    sut.serve('echo.v1', (data, subject) => bytes(`${subject}:${text(data)}`));
    assert.equal(text(await sut.request('echo.v1', bytes('hi'))), 'echo.v1:hi');
    await sut.close();
  });

  it('carries headers (lowercased, copied) to servers and listeners, and none when none are given', async () => {
    const sut = new InProcessBus();
    const seen: unknown[] = [];
    sut.serve('kit.h', (d, _s, headers) => (seen.push(headers), d));
    sut.subscribe('kit.h.ev', (_d, _s, headers) => void seen.push(headers));
    const sent = { TraceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await sut.request('kit.h', bytes('x'), { headers: sent });
    await sut.request('kit.h', bytes('y'));
    sut.publish('kit.h.ev', bytes('z'), { headers: { tracestate: 'a=1' } });
    await tick();
    await tick();
    assert.deepEqual(seen, [{ traceparent: sent.TraceParent }, undefined, { tracestate: 'a=1' }]);
    assert.ok(Object.isFrozen(seen[0]));
    await sut.close();
  });

  it('settled() resolves at once: subscriptions here are in effect when made', async () => {
    const sut = new InProcessBus();
    sut.serve('kit.settled', () => new Uint8Array([1]));
    await sut.settled();
    assert.deepEqual([...(await sut.request('kit.settled', new Uint8Array()))], [1]);
    await sut.close();
  });

  it('rejects with NoRespondersError when nobody serves the subject', async () => {
    const sut = new InProcessBus();
    await assert.rejects(sut.request('nobody.home', bytes('x')), NoRespondersError);
  });

  it('times out when the handler is too slow', async () => {
    const sut = new InProcessBus();
    sut.serve('slow', () => new Promise<Uint8Array>((r) => setTimeout(() => r(bytes('late')), 60)));
    await assert.rejects(sut.request('slow', bytes('x'), { timeoutMs: 20 }), TimeoutError);
    await sut.close();
  });

  it('returns the typed error the handler threw, and hides untyped ones', async () => {
    const errors: unknown[] = [];
    const sut = new InProcessBus({ onError: (e) => errors.push(e) });
    sut.serve('full', () => {
      throw new ResourceExhaustedError('mailbox full');
    });
    sut.serve('bug', async () => {
      throw new Error('secret detail');
    });
    await assert.rejects(sut.request('full', bytes('x')), (e) => e instanceof ResourceExhaustedError && e.message === 'mailbox full');
    await assert.rejects(sut.request('bug', bytes('x')), (e) => e instanceof InternalError && e.message === 'internal error');
    assert.equal(errors.length, 1);
  });

  it('lets one member of a queue group answer each request, and every plain subscriber hear events', async () => {
    const sut = new InProcessBus();
    const served = [0, 0, 0];
    served.forEach((_, i) => sut.serve('work', () => (served[i]!++, bytes(String(i))), { queue: 'workers' }));
    for (let i = 0; i < 30; i++) await sut.request('work', bytes('x'));
    assert.deepEqual(served, [10, 10, 10]);

    const heard: string[] = [];
    sut.subscribe('evt.*', (_d, s) => heard.push(`a:${s}`));
    sut.subscribe('evt.>', (_d, s) => heard.push(`b:${s}`));
    sut.subscribe('evt.x', () => heard.push('q1'), { queue: 'g' });
    sut.subscribe('evt.x', () => heard.push('q2'), { queue: 'g' });
    sut.publish('evt.x', bytes('1'));
    sut.publish('evt.y.z', bytes('2'));
    await tick();
    await tick();
    assert.deepEqual(heard.sort(), ['a:evt.x', 'b:evt.x', 'b:evt.y.z', 'q1']);
    await sut.close();
  });

  it('serves wildcard subjects', async () => {
    const sut = new InProcessBus();
    sut.serve('mailbox.*.claim', (_d, s) => bytes(s));
    assert.equal(text(await sut.request('mailbox.abc.claim', bytes(''))), 'mailbox.abc.claim');
    await assert.rejects(sut.request('mailbox.abc.drain', bytes('')), NoRespondersError);
  });

  it('delivers copies and isolates subscriber exceptions', async () => {
    const errors: unknown[] = [];
    const sut = new InProcessBus({ onError: (e) => errors.push(e) });
    const got: Uint8Array[] = [];
    sut.subscribe('evt', (d) => got.push(d));
    sut.subscribe('evt', () => {
      throw new Error('boom');
    });
    sut.subscribe('evt', async () => {
      throw new Error('async boom');
    });
    const payload = bytes('abc');
    sut.publish('evt', payload);
    payload[0] = 0;
    await sut.close();
    assert.equal(text(got[0]!), 'abc');
    assert.equal(errors.length, 2);
  });

  it('stops delivering after unsubscribe and refuses work after close', async () => {
    const sut = new InProcessBus();
    const sub = sut.serve('s', () => bytes('ok'));
    sub.unsubscribe();
    await assert.rejects(sut.request('s', bytes('')), NoRespondersError);
    await sut.close();
    await assert.rejects(sut.request('s', bytes('')), UnavailableError);
    assert.throws(() => sut.publish('s', bytes('')), UnavailableError);
  });

  it('lets in-flight handlers reply before close resolves', async () => {
    const sut = new InProcessBus();
    sut.serve('s', () => new Promise<Uint8Array>((r) => setTimeout(() => r(bytes('done')), 30)));
    const reply = sut.request('s', bytes(''));
    await tick();
    await sut.close();
    assert.equal(text(await reply), 'done');
  });

  it('rejects bad subjects', async () => {
    const sut = new InProcessBus();
    await assert.rejects(sut.request('a.*', bytes('')), TypeError);
    assert.throws(() => sut.serve('a..b', () => bytes('')), TypeError);
  });
});
