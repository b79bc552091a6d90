import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { acceptKey, checkUpgrade } from './handshake.js';

function req(method: string, headers: Record<string, string>): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, headers: lower } as unknown as IncomingMessage;
}

const GOOD = {
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

describe('wsock handshake', () => {
  it('computes Sec-WebSocket-Accept as RFC 6455 §1.3 shows', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('accepts a well-formed request, header case and token lists included', () => {
    assert.deepEqual(checkUpgrade(req('GET', GOOD)), { ok: true, key: GOOD['Sec-WebSocket-Key'] });
    const check = checkUpgrade(req('GET', { ...GOOD, Upgrade: 'WebSocket', Connection: 'keep-alive, Upgrade' }));
    assert.equal(check.ok, true);
  });

  it('refuses what RFC 6455 §4.2.1 does not allow: 400, or 426 for another version', () => {
    const cases: Array<[string, Record<string, string>, number]> = [
      ['POST', GOOD, 400],
      ['GET', { ...GOOD, Upgrade: 'h2c' }, 400],
      ['GET', { ...GOOD, Connection: 'keep-alive' }, 400],
      ['GET', { ...GOOD, 'Sec-WebSocket-Version': '8' }, 426],
      ['GET', { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': GOOD['Sec-WebSocket-Key'] }, 426],
      ['GET', { ...GOOD, 'Sec-WebSocket-Key': 'c2hvcnQ=' }, 400],
      ['GET', { ...GOOD, 'Sec-WebSocket-Key': 'not base64 at all!!!!!==' }, 400],
    ];
    for (const [method, headers, status] of cases) {
      const check = checkUpgrade(req(method, headers));
      assert.equal(check.ok, false, JSON.stringify(headers));
      if (!check.ok) {
        assert.equal(check.status, status, JSON.stringify(headers));
        assert.match(check.message, /expected/);
      }
    }
  });
});
