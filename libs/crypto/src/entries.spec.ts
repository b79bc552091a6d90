import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as node from './index.js';
import * as portable from './portable.js';

describe('entry points', () => {
  it('the portable entry has the same API as the Node entry, minus nodeBackend', () => {
    const names = (m: object) => Object.keys(m).sort();
    assert.deepEqual(names(portable), names(node).filter((n) => n !== 'nodeBackend'));
    assert.equal(node.defaultBackend.name, 'node');
    assert.equal(portable.defaultBackend.name, 'noble');
  });

  it('top-level functions are the default backend’s', () => {
    assert.equal(node.seal, node.nodeBackend.sealedBox.seal);
    assert.equal(node.x25519, node.nodeBackend.x25519);
    assert.equal(portable.mlkem1024, portable.nobleBackend.mlkem1024);
    const r = node.x25519.keygen();
    assert.deepEqual(portable.open(r.secretKey, node.seal(r.publicKey, new Uint8Array([42]))), new Uint8Array([42]));
  });

  it('backends are frozen', () => {
    assert.ok(Object.isFrozen(node.nodeBackend) && Object.isFrozen(node.nodeBackend.x25519));
    assert.ok(Object.isFrozen(node.nobleBackend) && Object.isFrozen(node.nobleBackend.mlkem768.lengths));
  });
});
