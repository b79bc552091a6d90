// A self-signed P-256 certificate for the local provider servers, built with node:crypto alone:
// neither `selfsigned` nor `node-forge` is installed, and an `openssl` binary is not guaranteed on
// a fresh machine. Only what TLS clients check is encoded: the key, the validity and the names.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/** A TLS key and its self-signed certificate (PEM); trust `cert` as the CA to reach the server. */
export interface TestCert {
  readonly key: string;
  readonly cert: string;
}

function _len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function _tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), _len(body.length), body]);
}

const _seq = (...parts: Buffer[]): Buffer => _tlv(0x30, ...parts);

function _oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const groups: number[] = [];
    for (let x = v; ; x = Math.floor(x / 128)) {
      groups.unshift(x % 128);
      if (x < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return _tlv(0x06, Buffer.from(out));
}

function _utcTime(d: Date): Buffer {
  const s = d.toISOString(); // 2026-12-03T12:00:00.000Z
  const text = `${s.slice(2, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`;
  return _tlv(0x17, Buffer.from(text, 'ascii'));
}

function _ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write 8 groups of 16 bits.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * Makes a P-256 key and a certificate for `hosts` (DNS names or IP addresses) valid from an hour
 * ago for `days` days, signed by itself (ecdsa-with-SHA256).
 */
/**
 * Makes `bytes` (random) a DER INTEGER's content that is positive and minimal: top bit clear (not
 * negative) and the next one set, so the first byte is never a 0x00 DER forbids before a byte under
 * 0x80 (OpenSSL refuses such a certificate: "illegal padding"). Returns `bytes`, changed.
 */
export function positiveSerial(bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new RangeError('"bytes" expected at least one byte');
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes;
}

export function selfSignedCert(hosts: readonly string[] = ['127.0.0.1', 'localhost'], days = 2): TestCert {
  if (hosts.length === 0) throw new RangeError('"hosts" expected at least one name, got 0');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = _seq(_oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  // A name of its own per certificate: a trust store holding several (one process trusting three
  // local providers) finds an issuer by name, and would try the wrong one under a shared name.
  const name = _seq(_tlv(0x31, _seq(_oid('2.5.4.3'), _tlv(0x0c, Buffer.from(`tacit local provider ${serial.toString('hex').slice(0, 16)}`, 'utf8')))));
  positiveSerial(serial);
  const now = Date.now();
  const altNames = _seq(...hosts.map((h) => (isIP(h) ? _tlv(0x87, _ipBytes(h)) : _tlv(0x82, Buffer.from(h, 'ascii')))));
  const extensions = _tlv(0xa3, _seq(_seq(_oid('2.5.29.17'), _tlv(0x04, altNames))));
  const tbs = _seq(
    _tlv(0xa0, _tlv(0x02, Buffer.from([2]))),
    _tlv(0x02, serial),
    ecdsaSha256,
    name,
    _seq(_utcTime(new Date(now - 3_600_000)), _utcTime(new Date(now + days * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value, as X.509 wants
  const der = _seq(tbs, ecdsaSha256, _tlv(0x03, Buffer.from([0]), signature));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`,
  };
}
