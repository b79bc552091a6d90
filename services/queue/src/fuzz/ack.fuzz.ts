// Fuzz target: the queue's ack path from the bytes of a bus request to the SQL it runs, through
// the readers of AckRequest.packed_refs and packed_seqs. The first byte picks the input's form:
// even, the bytes are an AckRequest as it arrives on the bus (decoded as the platform's transport
// does: a decode failure is InvalidArgumentError); odd, a u16 length then packed refs and packed
// seqs, put in an AckRequest as they are. The request goes through QueueController.ack and
// QueueService to the SQL core (SqlQueueRepository) over an executor that records the statement.
// Checks: the only error is InvalidArgumentError, exactly when the request breaks a documented
// limit; otherwise one statement runs, and its parameters hold exactly the refs asked for: the
// packed refs as they came (queue_ack), or, with seqs, grouped by mailbox and expiry day in sorted
// order with each group's seq range, the refs without a usable seq or day passed on as they are
// (queue_ack_ranges; recomputed here independently).
import { InvalidArgumentError } from '@tacit/kit';
import { create, fromBinary, packAckRefs, queueV1, QUEUE_LIMITS, toBinary } from '@tacit/proto';
import { QueueController } from '../queue.controller.js';
import { QueueService } from '../queue.service.js';
import { SqlQueueRepository, type SqlExecutor } from '../sql-repository.js';

class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzFinding(what);
}

interface Statement {
  sql: string;
  params: readonly unknown[];
}

/** The SQL core with a connection that only writes down what it was asked to run. */
class RecordingRepository extends SqlQueueRepository {
  statements: Statement[] = [];
  private readonly executor: SqlExecutor = {
    query: async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> => {
      this.statements.push({ sql, params });
      return [{ deleted: 0 } as R];
    },
  };
  protected override _transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return fn(this.executor);
  }
  protected override _session<T>(fn: (s: SqlExecutor) => Promise<T>): Promise<T> {
    return fn(this.executor);
  }
  protected override _bytes(b: Uint8Array): unknown {
    return b;
  }
  override async close(): Promise<void> {}
}

const repo = new RecordingRepository();
const sut = new QueueController(new QueueService({ repository: repo }));
const REF = 36;
const SEQ = 8;

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function ints(literal: unknown): number[] {
  expect(typeof literal === 'string' && /^\{(\d+(,\d+)*)?\}$/.test(literal), `not an integer array literal: ${String(literal)}`);
  const body = (literal as string).slice(1, -1);
  return body === '' ? [] : body.split(',').map(Number);
}

function request(data: Uint8Array): queueV1.AckRequest | InvalidArgumentError {
  const body = data.subarray(1);
  if ((data[0]! & 1) === 0) {
    try {
      return fromBinary(queueV1.AckRequestSchema, body);
    } catch (err) {
      return new InvalidArgumentError('malformed tacit.queue.v1.AckRequest', { cause: err });
    }
  }
  const n = body.length < 2 ? 0 : Math.min(((body[0]! << 8) | body[1]!), body.length - 2);
  return create(queueV1.AckRequestSchema, { packedRefs: body.subarray(2, 2 + n), packedSeqs: body.subarray(2 + n) });
}

/** Why the queue must refuse `req`, or undefined when it must run it. */
function refusal(req: queueV1.AckRequest): string | undefined {
  const max = QUEUE_LIMITS.maxAckRefs;
  if (req.refs.length > 0 && req.packedRefs.length > 0) return 'both';
  if (req.packedSeqs.length > 0 && req.packedRefs.length === 0) return 'seqs alone';
  if (req.packedRefs.length > 0) {
    const n = req.packedRefs.length / REF;
    if (!Number.isInteger(n) || n < 1 || n > max) return 'refs length';
    if (req.packedSeqs.length > 0 && req.packedSeqs.length !== n * SEQ) return 'seqs length';
    return undefined;
  }
  if (req.refs.length < 1 || req.refs.length > max) return 'ref count';
  if (req.refs.some((r) => r.mailboxId.length !== 16 || r.packetId.length !== 16 || r.expiryDay > 2 ** 31 - 1)) return 'ref fields';
  return undefined;
}

/** queue_ack_ranges's parameters for packed refs and seqs, computed here from scratch. */
function expectedRanges(refs: Uint8Array, seqs: Uint8Array): string[] {
  const groups = new Map<string, { mailbox: string; day: number; first: bigint; last: bigint; ids: string[] }>();
  const rest: string[] = [];
  const rv = new DataView(refs.buffer, refs.byteOffset, refs.byteLength);
  const sv = new DataView(seqs.buffer, seqs.byteOffset, seqs.byteLength);
  for (let i = 0; i < refs.length / REF; i++) {
    const ref = refs.subarray(i * REF, (i + 1) * REF);
    const day = rv.getUint32(i * REF + 32);
    const seq = sv.getBigUint64(i * SEQ);
    if (day === 0 || seq === 0n || seq >= 2n ** 53n) {
      rest.push(hex(ref));
      continue;
    }
    const mailbox = hex(ref.subarray(0, 16));
    const key = `${mailbox}/${day.toString(16).padStart(8, '0')}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { mailbox, day, first: seq, last: seq, ids: [] }));
    if (seq < g.first) g.first = seq;
    if (seq > g.last) g.last = seq;
    g.ids.push(hex(ref.subarray(16, 32)));
  }
  const sorted = [...groups.keys()].sort().map((k) => groups.get(k)!);
  return [
    sorted.map((g) => g.mailbox).join(''),
    sorted.map((g) => g.day).join(','),
    sorted.map((g) => g.first).join(','),
    sorted.map((g) => g.last).join(','),
    sorted.map((g) => g.ids.length).join(','),
    sorted.flatMap((g) => g.ids).join(''),
    rest.join(''),
  ];
}

export async function fuzz(data: Uint8Array): Promise<void> {
  if (data.length === 0) return;
  const req = request(data);
  if (req instanceof InvalidArgumentError) return;
  const why = refusal(req);
  repo.statements = [];
  try {
    await sut.ack(req);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    expect(why !== undefined, `refused a request within the limits: ${err.message}`);
    expect(repo.statements.length === 0, 'ran SQL for a request it refused');
    return;
  }
  expect(why === undefined, `ran a request it must refuse (${why})`);
  expect(repo.statements.length === 1, `${repo.statements.length} statements for one ack`);
  const { sql, params } = repo.statements[0]!;
  const packed = req.packedRefs.length > 0 ? req.packedRefs : packAckRefs(req.refs);
  if (req.packedSeqs.length === 0) {
    expect(sql === 'SELECT queue_ack($1) AS deleted', `unexpected statement ${sql}`);
    expect(params[0] instanceof Uint8Array && hex(params[0]) === hex(packed), 'queue_ack was not given the refs as they came');
    return;
  }
  expect(sql.startsWith('SELECT queue_ack_ranges('), `unexpected statement ${sql}`);
  const got = [
    hex(params[0] as Uint8Array),
    ints(params[1]).join(','),
    ints(params[2]).join(','),
    ints(params[3]).join(','),
    ints(params[4]).join(','),
    hex(params[5] as Uint8Array),
    hex(params[6] as Uint8Array),
  ];
  const want = expectedRanges(packed, req.packedSeqs);
  const names = ['mailboxes', 'days', 'first seqs', 'last seqs', 'sizes', 'packet ids', 'rest'];
  for (let i = 0; i < names.length; i++) expect(got[i] === want[i], `queue_ack_ranges: ${names[i]} differ from the refs'`);
}

const _id = (b: number) => new Uint8Array(16).fill(b);

/** Requests of each form: refs, packed refs, packed refs and seqs (of two mailboxes and days, some seqs unknown). */
export function seeds(): Uint8Array[] {
  const refs = [1, 1, 2, 1, 3].map((m, i) => ({ mailboxId: _id(m), packetId: _id(16 + i), expiryDay: i === 4 ? 0 : 20_000 + (m % 2) }));
  const seqs = new Uint8Array(refs.length * SEQ);
  const v = new DataView(seqs.buffer);
  refs.forEach((_, i) => v.setBigUint64(i * SEQ, i === 2 ? 0n : BigInt(100 + i * 3)));
  const packed = packAckRefs(refs);
  const proto = (m: Parameters<typeof create<typeof queueV1.AckRequestSchema>>[1]) =>
    Uint8Array.of(0, ...toBinary(queueV1.AckRequestSchema, create(queueV1.AckRequestSchema, m)));
  const raw = (r: Uint8Array, s: Uint8Array) => Uint8Array.of(1, r.length >> 8, r.length & 0xff, ...r, ...s);
  return [
    proto({ refs: refs.map((r) => ({ mailboxId: r.mailboxId, packetId: r.packetId, expiryDay: r.expiryDay })) }),
    proto({ packedRefs: packed }),
    proto({ packedRefs: packed, packedSeqs: seqs }),
    raw(packed, seqs),
    raw(packed, new Uint8Array(0)),
  ];
}
