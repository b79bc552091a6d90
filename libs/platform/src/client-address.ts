import { BlockList, isIP, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** PROXY protocol v2's 12-byte signature. */
const _SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** The longest header taken: signature, version/command, family, length, and addresses with TLVs (a balancer's are small). */
const _MAX_HEADER = 16 + 512;
/** How long a trusted peer may take to send its PROXY header. */
const _HEADER_TIMEOUT_MS = 5000;
/** Where the address a PROXY header gave rides on its socket until the upgrade reads it. */
const _kClient = Symbol('tacit.client-address');

/**
 * Parses a PROXY protocol v2 header at the start of `buf`: the source address it names ('' for a
 * LOCAL command or an address family other than TCP/UDP over IPv4/IPv6: the balancer's own
 * connection), and how many bytes the header took; `undefined` when more bytes are needed; throws
 * RangeError when it is not a PROXY v2 header.
 */
export function parseProxyV2(buf: Buffer): { address: string; length: number } | undefined {
  const have = Math.min(buf.length, 12);
  if (!buf.subarray(0, have).equals(_SIG.subarray(0, have))) throw new RangeError('not a PROXY protocol v2 header');
  if (buf.length < 16) return undefined;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) throw new RangeError(`PROXY header version expected 2, got ${verCmd >> 4}`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) throw new RangeError(`PROXY header command expected LOCAL or PROXY, got ${cmd}`);
  const len = buf.readUInt16BE(14);
  if (16 + len > _MAX_HEADER) throw new RangeError(`PROXY header expected at most ${_MAX_HEADER} bytes, got ${16 + len}`);
  if (buf.length < 16 + len) return undefined;
  const family = buf[13]! >> 4;
  let address = '';
  if (cmd === 1 && family === 1 && len >= 12) address = Array.from(buf.subarray(16, 20)).join('.');
  else if (cmd === 1 && family === 2 && len >= 36) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(buf.readUInt16BE(16 + i).toString(16));
    address = parts.join(':');
  }
  return { address, length: 16 + len };
}

/** Where a client's address comes from: the TCP peer, a PROXY protocol v2 header, or X-Forwarded-For. */
export const CLIENT_ADDRESS_SOURCES = ['socket', 'proxy-protocol', 'x-forwarded-for'] as const;

/** One of {@link CLIENT_ADDRESS_SOURCES}. */
export type ClientAddressSource = (typeof CLIENT_ADDRESS_SOURCES)[number];

/** Options of {@link ClientAddressResolver}. */
export interface ClientAddressOptions {
  from: ClientAddressSource;
  /** Comma-separated addresses and CIDRs of the balancers believed. */
  trustedProxies?: string | undefined;
  /** The setting `trustedProxies` came from, named in errors (default `trustedProxies`). */
  setting?: string;
}

/**
 * Which address a client's limits key on. By default the TCP peer's. Behind a load balancer every
 * client would share the balancer's budget, so a service can take the address a PROXY protocol v2
 * header or X-Forwarded-For names — but only from trusted peers; anyone else could name any
 * address and take its budget. (Shared by the gateway and the media service: GATEWAY_ and MEDIA_
 * CLIENT_ADDRESS_FROM / TRUSTED_PROXIES.)
 */
export class ClientAddressResolver {
  private readonly mode: ClientAddressSource;
  private readonly trusted = new BlockList();

  constructor(opts: ClientAddressOptions) {
    this.mode = opts.from;
    for (const entry of (opts.trustedProxies ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
      const [ip, bits] = entry.split('/');
      const type = isIP(ip!) === 6 ? 'ipv6' : 'ipv4';
      if (!isIP(ip!)) throw new RangeError(`"${opts.setting ?? 'trustedProxies'}" expected addresses or CIDRs, got ${JSON.stringify(entry)}`);
      if (bits === undefined) this.trusted.addAddress(ip!, type);
      else this.trusted.addSubnet(ip!, Number(bits), type);
    }
  }

  /** True when `ip` is a configured load balancer. */
  isTrusted(ip: string | undefined): boolean {
    if (!ip) return false;
    const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    return this.trusted.check(v4, isIP(v4) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * Takes a new TCP connection: with PROXY protocol from a trusted peer, reads its header first
   * (bounded in bytes and time; a bad or missing header ends the connection), then hands the socket
   * to `next` with the bytes after the header put back.
   */
  accept(socket: Socket, next: (socket: Socket) => void): void {
    if (this.mode !== 'proxy-protocol' || !this.isTrusted(socket.remoteAddress)) return next(socket);
    let buf = Buffer.alloc(0);
    const fail = (): void => void socket.destroy();
    const timer = setTimeout(fail, _HEADER_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      let header: ReturnType<typeof parseProxyV2>;
      try {
        header = parseProxyV2(buf);
      } catch {
        clearTimeout(timer);
        socket.off('data', onData);
        return fail();
      }
      if (!header) return;
      clearTimeout(timer);
      socket.off('data', onData);
      // Paused while nothing listens, so the bytes after the header wait for the HTTP parser.
      socket.pause();
      if (header.address) (socket as Socket & { [_kClient]?: string })[_kClient] = header.address;
      if (buf.length > header.length) socket.unshift(buf.subarray(header.length));
      next(socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.once('error', () => clearTimeout(timer));
  }

  /** The address the request's limits key on (with PROXY protocol: read once per connection, at its first request or upgrade). */
  of(req: IncomingMessage): string {
    const socket = req.socket as Socket & { [_kClient]?: string };
    const peer = socket.remoteAddress ?? '';
    if (this.mode === 'proxy-protocol') {
      const named = socket[_kClient];
      socket[_kClient] = undefined;
      return named ?? peer;
    }
    if (this.mode === 'x-forwarded-for' && this.isTrusted(peer)) {
      const header = req.headers['x-forwarded-for'];
      const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
      // From the right: the balancers' own entries are skipped; the first untrusted one is the client.
      for (let i = hops.length - 1; i >= 0; i--) {
        if (!isIP(hops[i]!)) return peer;
        if (!this.isTrusted(hops[i])) return hops[i]!;
      }
    }
    return peer;
  }
}
