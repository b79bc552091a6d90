// Where the relay key comes from: the operator's secret (one key for every replica), a file the
// node keeps beside its data (the same key after a restart), or a key for this process only.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { x25519 } from '@tacit/crypto';
import { relayKeyPair } from '@tacit/protocol';
import { loadRelayKey } from './relay-key.js';

describe(loadRelayKey.name, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tacit-relay-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("GATEWAY_RELAY_KEY: every replica given one secret has one key, derived (the secret is not the key)", () => {
    const secret = 'a secret of at least thirty-two characters';
    const [a, b] = [loadRelayKey({ GATEWAY_RELAY_KEY: secret }), loadRelayKey({ GATEWAY_RELAY_KEY: secret, GATEWAY_RELAY_KEY_FILE: path.join(dir, 'ignored') })];
    assert.deepEqual(a.publicKey, b.publicKey);
    assert.equal(a.source, 'setting');
    assert.deepEqual(a.publicKey, x25519.getPublicKey(a.secretKey));
    assert.notDeepEqual(Buffer.from(a.secretKey), Buffer.from(secret).subarray(0, 32));
    assert.deepEqual(a.publicKey, relayKeyPair(new TextEncoder().encode(secret)).publicKey);
    assert.notDeepEqual(loadRelayKey({ GATEWAY_RELAY_KEY: `${secret}!` }).publicKey, a.publicKey);
  });

  it('GATEWAY_RELAY_KEY_FILE: made with a random secret (mode 0600) when missing, then read back: the same key after a restart', () => {
    const file = path.join(dir, 'data', 'relay-key');
    const first = loadRelayKey({ GATEWAY_RELAY_KEY_FILE: file });
    assert.equal(first.source, 'file');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.deepEqual(loadRelayKey({ GATEWAY_RELAY_KEY_FILE: file }).publicKey, first.publicKey);
  });

  it('refuses a file holding a secret under 32 characters, naming the file', () => {
    const file = path.join(dir, 'short');
    writeFileSync(file, 'too short\n');
    assert.throws(() => loadRelayKey({ GATEWAY_RELAY_KEY_FILE: file }), /GATEWAY_RELAY_KEY_FILE .*short: expected a secret of at least 32 characters, got 9/);
  });

  it('neither set: a key for this process only, another each time', () => {
    const [a, b] = [loadRelayKey({}), loadRelayKey({})];
    assert.equal(a.source, 'ephemeral');
    assert.notDeepEqual(a.publicKey, b.publicKey);
  });
});
