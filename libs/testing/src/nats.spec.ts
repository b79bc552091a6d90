import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { MissingServerError } from './errors.js';
import { _isAlive } from './server.js';
import { startNats } from './nats.js';
import { killAll } from './server.js';

describe(startNats.name, () => {
  after(() => killAll({ signal: 'SIGKILL' }));

  it('answers a request/reply round trip on its url', async () => {
    const sut = await startNats({ jetstream: false });
    try {
      const nc = await connect({ servers: sut.url });
      nc.subscribe('echo', { callback: (_err, msg) => void msg.respond(msg.data) });
      const reply = await nc.request('echo', 'hello', { timeout: 2_000 });
      assert.equal(reply.string(), 'hello');
      await nc.close();
    } finally {
      await sut.stop();
    }
  });

  it('keeps a JetStream stream and its messages across restart() on the same port', async () => {
    const sut = await startNats({ jetstream: true, syncAlways: true });
    try {
      const port = sut.port;
      let nc = await connect({ servers: sut.url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await jetstream(nc).publish('keep.one', 'payload');
      await nc.close();

      const pidBefore = sut.pid;
      await sut.restart({ signal: 'SIGKILL' });
      assert.equal(sut.port, port);
      assert.notEqual(sut.pid, pidBefore);

      nc = await connect({ servers: sut.url });
      const info = await (await jetstreamManager(nc)).streams.info('KEEP');
      assert.equal(info.state.messages, 1);
      const msg = await (await jetstreamManager(nc)).streams.getMessage('KEEP', { seq: 1 });
      assert.equal(msg?.string(), 'payload');
      await nc.close();
    } finally {
      await sut.stop();
    }
  });

  it('stop() ends the process and removes its folder', async () => {
    const sut = await startNats();
    const { pid, dir } = sut;
    assert.ok(_isAlive(pid));
    await sut.stop();
    assert.equal(_isAlive(pid), false);
    assert.equal(existsSync(dir), false);
    assert.equal(sut.pid, 0);
  });

  it('throws MissingServerError naming nats-server when the binary is not found', async () => {
    const bogus = join(tmpdir(), 'tacit-no-such-bin-dir');
    await assert.rejects(startNats({ binDirs: [bogus] }), (err: unknown) => {
      assert.ok(err instanceof MissingServerError);
      assert.equal(err.binary, 'nats-server');
      assert.match(err.message, /bash scripts\/setup\.sh/);
      return true;
    });
  });
});
