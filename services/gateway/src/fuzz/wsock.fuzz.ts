// Fuzz target: the WebSocket frame parser (WsSocket.receive) on arbitrary bytes cut into arbitrary
// reads, through a stand-in socket. The first byte gives the number of cuts (0..15), then a u16
// offset for each, then the stream. Checks: receive never throws; the same stream gives the same
// messages, the same bytes written back and the same end whether it arrives whole or cut; every
// message is within maxPayload and a text message is valid UTF-8; what is written back is a run of
// unmasked, final server frames (pongs, then at most one close, last, with a code a peer may send
// and a UTF-8 reason); between reads it holds at most 2 * maxPayload + 14 bytes, and nothing once
// the connection is closed.
import { isUtf8 } from 'node:buffer';
import { isValidCloseCode, Opcode } from '../wsock/frame.js';
import { ReadyState, WsSocket } from '../wsock/socket.js';
import { clientFrame, expect, StandInSocket } from './_fuzz.js';

const MAX_PAYLOAD = 8192;

interface Outcome {
  messages: string[];
  written: Buffer;
  ended: boolean;
  readyState: number;
}

function run(stream: Buffer, cuts: number[]): Outcome {
  const socket = new StandInSocket();
  const messages: string[] = [];
  const ws = new WsSocket<null>(
    {
      maxPayload: MAX_PAYLOAD,
      closeTimeoutMs: 1000,
      message: (_ws, data, isBinary) => {
        expect(data.length <= MAX_PAYLOAD, `a ${data.length}-byte message passed maxPayload ${MAX_PAYLOAD}`);
        expect(isBinary || isUtf8(data), 'a text message that is not UTF-8');
        messages.push(`${isBinary ? 'b' : 't'}:${data.toString('hex')}`);
      },
      close: () => undefined,
    },
    socket.duplex,
  );
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    // Each read in memory of its own, as the socket would hand it over (the parser unmasks in place).
    ws.receive(Buffer.from(stream.subarray(at, cut)));
    // Between reads it holds at most a cut header, one frame's payload and one message's fragments.
    expect(ws.receivingBytes <= 2 * MAX_PAYLOAD + 14, `${ws.receivingBytes} bytes held between reads (maxPayload ${MAX_PAYLOAD})`);
    at = cut;
  }
  const readyState = ws.readyState;
  // The socket closes: clears the close timer and whatever was held.
  ws.closed();
  expect(!ws.receiving, 'input held after the connection closed');
  return { messages, written: Buffer.concat(socket.out), ended: socket.ended, readyState };
}

/** Checks that `out` is whole, unmasked, final server frames: pongs, then at most one close, last. */
function checkWritten(out: Buffer): void {
  let o = 0;
  let closed = false;
  while (o < out.length) {
    expect(!closed, 'a frame written after the close frame');
    expect(out.length - o >= 2, 'a cut frame header written');
    const b0 = out[o]!;
    const b1 = out[o + 1]!;
    expect(b0 === (0x80 | Opcode.PONG) || b0 === (0x80 | Opcode.CLOSE), `wrote a frame with first byte 0x${b0.toString(16)}`);
    expect((b1 & 0x80) === 0, 'wrote a masked frame');
    const len = b1 & 0x7f;
    expect(len <= 125, 'wrote a control frame over 125 bytes');
    const payload = out.subarray(o + 2, o + 2 + len);
    expect(payload.length === len, 'a cut frame written');
    if (b0 === (0x80 | Opcode.CLOSE)) {
      closed = true;
      expect(payload.length !== 1, 'a close frame with a 1-byte payload');
      if (payload.length >= 2) {
        expect(isValidCloseCode(payload.readUInt16BE(0)), `sent close code ${payload.readUInt16BE(0)}`);
        expect(isUtf8(payload.subarray(2)), 'a close reason that is not UTF-8');
      }
    }
    o += 2 + len;
  }
}

export function fuzz(data: Uint8Array): void {
  const input = Buffer.from(data);
  const count = input.length > 0 ? input[0]! & 15 : 0;
  const head = 1 + 2 * count;
  if (input.length < head) return;
  const stream = input.subarray(head);
  const cuts: number[] = [];
  for (let i = 0; i < count; i++) cuts.push(stream.length === 0 ? 0 : input.readUInt16BE(1 + 2 * i) % (stream.length + 1));
  cuts.sort((a, b) => a - b);
  const whole = run(stream, []);
  const cut = run(stream, cuts);
  checkWritten(whole.written);
  expect(whole.messages.join() === cut.messages.join(), 'cutting the stream changed the messages');
  expect(whole.written.equals(cut.written), 'cutting the stream changed what was written back');
  expect(whole.ended === cut.ended && whole.readyState === cut.readyState, 'cutting the stream changed how the connection ended');
  if (whole.readyState === ReadyState.OPEN) expect(!whole.ended, 'the socket ended while the WebSocket is open');
}

/** Streams of valid traffic (messages whole and fragmented, pings, a close) and a few broken ones, uncut and cut. */
export function seeds(): Uint8Array[] {
  const text = Buffer.from('héllo wörld');
  const binary = Buffer.alloc(300, 7);
  const streams = [
    Buffer.concat([clientFrame(Opcode.BINARY, binary), clientFrame(Opcode.TEXT, text), clientFrame(Opcode.PING, Buffer.from('p'))]),
    Buffer.concat([
      clientFrame(Opcode.TEXT, text.subarray(0, 2), { fin: false }),
      clientFrame(Opcode.PING, Buffer.alloc(0)),
      clientFrame(Opcode.CONTINUATION, text.subarray(2), { fin: true }),
      clientFrame(Opcode.CLOSE, Buffer.from([0x03, 0xe8, 0x6f, 0x6b])),
    ]),
    Buffer.concat([clientFrame(Opcode.BINARY, Buffer.alloc(MAX_PAYLOAD + 1))]),
    Buffer.from([0x82, 0x05, 1, 2, 3, 4, 5]),
    Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
    clientFrame(Opcode.CLOSE, Buffer.from([0x03, 0xed])),
  ];
  return streams.flatMap((s) => [Buffer.concat([Buffer.from([0]), s]), Buffer.concat([Buffer.from([3, 0, 1, 0, 3, 0, 9]), s])]);
}
