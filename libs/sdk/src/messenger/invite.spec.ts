import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessengerError } from './errors.js';
import { decodeInvite, encodeInvite, INVITE_PREFIX, type Invite } from './invite.js';

const inv: Invite = {
  namespaceId: new Uint8Array(32).fill(1),
  mailboxKey: new Uint8Array(32).fill(2),
  identityKey: new Uint8Array(32).fill(3),
  relay: 'wss://relay.example:8443/v1',
};

function bad(fn: () => unknown, ...fields: string[]): void {
  assert.throws(fn, (e: unknown) => e instanceof MessengerError && e.code === 'BAD_INVITE' && fields.includes(e.field));
}

describe('invites', () => {
  it('round-trip, in QR alphanumeric characters only', () => {
    const s = encodeInvite(inv);
    assert.ok(s.startsWith(INVITE_PREFIX));
    assert.match(s, /^[0-9A-Z $%*+\-./:]+$/, 'QR alphanumeric mode');
    assert.ok(s.length < 250, `${s.length} characters`);
    assert.deepEqual(decodeInvite(`  ${s}\n`), inv);
  });

  it('refuses a mistyped, cut, re-versioned or foreign string, naming what is wrong', () => {
    const s = encodeInvite(inv);
    const flip = (i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    bad(() => decodeInvite(flip(30)), 'checksum');
    // Cut: the checksum no longer matches, or the last character no longer ends a byte.
    bad(() => decodeInvite(s.slice(0, -8)), 'checksum', 'invite');
    bad(() => decodeInvite(s.slice(0, -5)), 'checksum', 'invite');
    bad(() => decodeInvite(s.replace('TACIT1:', 'TACIT2:')), 'invite');
    bad(() => decodeInvite(`${s.slice(0, 20)}1${s.slice(21)}`), 'invite');
    bad(() => decodeInvite('TACIT1:AAAA'), 'invite');
    bad(() => decodeInvite(`TACIT1:${'A'.repeat(700)}`), 'invite');
    bad(() => encodeInvite({ ...inv, relay: 'http://relay.example/v1' }), 'relay');
    bad(() => encodeInvite({ ...inv, relay: `wss://${'a'.repeat(200)}/v1` }), 'relay');
    bad(() => encodeInvite({ ...inv, identityKey: new Uint8Array(31) }), 'identityKey');
  });
});
