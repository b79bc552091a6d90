// Fuzz target: where the gateway learns a client's address from a load balancer, on arbitrary
// bytes; the first byte picks the form. Even: a PROXY protocol v2 header (parseProxyV2), also read
// as the gateway reads it, on the bytes received so far, at many lengths. Odd: an X-Forwarded-For
// value (ClientAddresses.of, the peer a trusted balancer). Checks: parseProxyV2
// throws only RangeError, never asks for more bytes than its 528-byte cap, gives the same answer
// for every buffer that holds the whole header and "need more" for every shorter one, and names ''
// or a valid IP address; X-Forwarded-For yields the peer or a valid address that is not a trusted
// balancer's.
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { ClientAddresses, parseProxyV2 } from '../client-address.js';
import type { GatewayConfig } from '../config.js';
import { expect } from './_fuzz.js';

const PEER = '10.0.0.5';
const xff = new ClientAddresses({ GATEWAY_CLIENT_ADDRESS_FROM: 'x-forwarded-for', GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8, 2001:db8::/32' } as GatewayConfig);

type Parsed = { address: string; length: number } | undefined | RangeError;

function parse(buf: Buffer): Parsed {
  try {
    return parseProxyV2(buf);
  } catch (err) {
    if (err instanceof RangeError) return err;
    throw err;
  }
}

function proxy(data: Buffer): void {
  const whole = parse(data);
  if (whole instanceof RangeError) return;
  if (whole === undefined) {
    expect(data.length < 528, `asked for more than 528 bytes (had ${data.length})`);
    return;
  }
  expect(whole.length >= 16 && whole.length <= 528 && whole.length <= data.length, `a header of ${whole.length} bytes`);
  expect(whole.address === '' || isIP(whole.address) !== 0, `named ${JSON.stringify(whole.address)}`);
  // The gateway parses the bytes received so far after each read: shorter than the header, it must
  // wait; holding it all, the same answer.
  for (let n = 0; n <= data.length; n += 1 + (n % 7)) {
    const part = parse(data.subarray(0, n));
    if (n < whole.length) expect(part === undefined, `${n} of the header's ${whole.length} bytes did not ask for more`);
    else expect(part !== undefined && !(part instanceof RangeError) && part.address === whole.address && part.length === whole.length, `${n} bytes gave another answer`);
  }
}

function forwarded(value: string): void {
  const req = { socket: { remoteAddress: PEER }, headers: { 'x-forwarded-for': value } } as unknown as IncomingMessage;
  const address = xff.of(req);
  expect(address === PEER || (isIP(address) !== 0 && !xff.isTrusted(address)), `took ${JSON.stringify(address)} from X-Forwarded-For`);
}

export function fuzz(data: Uint8Array): void {
  if (data.length === 0) return;
  const body = Buffer.from(data.subarray(1));
  if ((data[0]! & 1) === 0) proxy(body);
  else forwarded(body.toString('latin1'));
}

const _SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** PROXY headers for IPv4, IPv6 and LOCAL, followed by a request; X-Forwarded-For chains. */
export function seeds(): Uint8Array[] {
  const v4 = [..._SIG, 0x21, 0x11, 0, 12, 192, 0, 2, 1, 198, 51, 100, 7, 0x1f, 0x90, 0x01, 0xbb];
  const v6 = [..._SIG, 0x21, 0x21, 0, 36, 0x20, 0x01, ...new Array<number>(34).fill(0)];
  const local = [..._SIG, 0x20, 0x00, 0, 0];
  const get = [...Buffer.from('GET /v1 HTTP/1.1\r\n')];
  return [
    Uint8Array.from([0, ...v4, ...get]),
    Uint8Array.from([0, ...v6]),
    Uint8Array.from([0, ...local, ...get]),
    Uint8Array.of(1, ...Buffer.from('198.51.100.9, 203.0.113.7, 10.9.9.9')),
    Uint8Array.of(1, ...Buffer.from('2001:db8::1, ::ffff:203.0.113.5')),
  ];
}
