import { Inject, Injectable } from '@nestjs/common';
import { activeTraceContext, SpanKind, withSpan, type Bus } from '@tacit/kit';
import { BUS } from '@tacit/platform';
import { create, fromBinary, GATEWAY_SUBJECTS, gatewayV1, toBinary } from '@tacit/proto';
import { FRAME_PACKET_AT, PACKET_ID_AT } from '@tacit/protocol';
import { Claimants } from './claims.js';
import type { ClientConnection } from './connection.js';
import { Drainer } from './drainer.js';
import { keyAt } from './keys.js';
import { deliverFrames } from './mailbox-event.js';
import { ReplicaIdentity } from './tokens.js';

/** In a DELIVER frame, where the packet id starts. */
const _FRAME_PACKET_ID_AT = FRAME_PACKET_AT + PACKET_ID_AT;

/** Hex of an id, for its bus subject. */
export function hexId(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Which mailboxes are claimed on this replica, and by which connections. Presence is NATS interest:
 * this replica serves `tacit.mbx.<mailbox id>` exactly while a connection here claims the mailbox,
 * so there is no presence table to go stale when a replica dies. Offers packets to the claimants.
 */
@Injectable()
export class Presence {
  /** Claimed mailboxes here → the connections claiming them and the bus subscription. */
  private readonly local = new Map<string, Claimants>();
  /** Serves every claimed mailbox's subject: one handler, the mailbox read from the subject. */
  private readonly handler = (data: Uint8Array, subject: string): Promise<Uint8Array> => {
    const key = Buffer.from(subject.slice(GATEWAY_SUBJECTS.mailbox.length), 'hex').toString('latin1');
    // A sampled packet's request carries its trace: this replica's part shows in it (the span is
    // named for the subject's kind, never the subject: it holds a mailbox id).
    if (activeTraceContext()) return withSpan('tacit.gateway.mailbox', () => this.onMailboxEvent(key, data), { kind: SpanKind.SERVER });
    return this.onMailboxEvent(key, data);
  };

  private lost = false;
  private readonly offStatus: (() => void) | undefined;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(ReplicaIdentity) private readonly replica: ReplicaIdentity,
    @Inject(Drainer) private readonly drainer: Drainer,
  ) {
    this.offStatus = bus.onStatus?.((status) => {
      if (status === 'disconnected') this.lost = true;
      else if (status === 'connected' && this.lost) {
        this.lost = false;
        void this.resubscribed();
      }
    });
  }

  /**
   * Back on the bus after losing it: while this replica's mailbox subscriptions were gone, senders
   * were told nobody held those mailboxes and queued their packets, and the pokes that followed
   * found nobody either. So once the subscriptions are in effect again, every connection here drains
   * from the start: a packet committed before that drain reads is in it, one committed after finds
   * the subscription and pokes it.
   */
  private async resubscribed(): Promise<void> {
    await this.bus.settled();
    const conns = new Set<ClientConnection>();
    for (const claimants of this.local.values()) for (const conn of claimants) conns.add(conn);
    for (const conn of conns) this.drainer.redrain(conn);
  }

  /** Mailboxes claimed on this replica. */
  get size(): number {
    return this.local.size;
  }

  /** True while a connection here claims the mailbox. */
  has(key: string): boolean {
    return this.local.has(key);
  }

  /** The connections here claiming the mailbox. */
  claimants(key: string): Claimants | undefined {
    return this.local.get(key);
  }

  /** Adds `conn` to the mailbox's claimants; true when that made a new bus subscription. */
  claim(key: string, id: Uint8Array, conn: ClientConnection): boolean {
    const claimants = this.local.get(key);
    if (claimants) {
      claimants.add(conn);
      return false;
    }
    this.local.set(key, new Claimants(this.bus.serve(GATEWAY_SUBJECTS.mailbox + hexId(id), this.handler), conn));
    return true;
  }

  /** Removes `conn` from the mailbox's claimants; the last one out ends the subscription. */
  release(key: string, conn: ClientConnection): void {
    const claimants = this.local.get(key);
    if (!claimants) return;
    claimants.delete(conn);
    if (claimants.size === 0) {
      this.local.delete(key);
      claimants.sub.unsubscribe();
    }
  }

  /** Releases every mailbox `conn` claimed (it closed). */
  releaseAll(conn: ClientConnection): void {
    for (const key of conn.claimed.keys()) this.release(key, conn);
  }

  /** The replica id a reply names for a mailbox: ours while a connection here claims it, else none. */
  routeFor(key: string): string {
    return this.local.has(key) ? this.replica.id : '';
  }

  /** Offers a DELIVER frame to the mailbox's claimants here; true once one acked it. */
  deliver(key: string, frame: Uint8Array): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.offer(key, frame, resolve));
  }

  /**
   * {@link deliver} without promises (the receiving replica's hot path): the claimants in turn, the
   * next one only if the previous could not take it or did not ack in time; `done` hears once.
   */
  offer(key: string, frame: Uint8Array, done: (acked: boolean) => void): void {
    const conns = this.local.get(key);
    if (!conns) return done(false);
    const packetKey = keyAt(frame, _FRAME_PACKET_ID_AT);
    const only = conns.only;
    if (only) {
      if (!only.offerLive(frame, packetKey, done)) done(false);
      return;
    }
    this.offerFrom(conns[Symbol.iterator](), frame, packetKey, done);
  }

  private offerFrom(claimants: Iterator<ClientConnection>, frame: Uint8Array, key: string, done: (acked: boolean) => void): void {
    for (let next = claimants.next(); !next.done; next = claimants.next()) {
      const settled = (acked: boolean): void => (acked ? done(true) : this.offerFrom(claimants, frame, key, done));
      if (next.value.offerLive(frame, key, settled)) return;
    }
    done(false);
  }

  /** Drains the mailbox's claimants here again from the start (packets were queued for it). */
  poke(key: string): boolean {
    const claimants = this.local.get(key);
    if (!claimants) return false;
    for (const conn of claimants) this.drainer.redrain(conn);
    return true;
  }

  /** Stops serving every mailbox (shutdown). */
  close(): void {
    this.offStatus?.();
    for (const claimants of this.local.values()) claimants.sub.unsubscribe();
    this.local.clear();
  }

  /** Another replica (or this one, via the bus) hands us packets for a mailbox claimed here, or pokes. */
  private async onMailboxEvent(key: string, data: Uint8Array): Promise<Uint8Array> {
    const event = fromBinary(gatewayV1.MailboxEventSchema, data);
    const Status = gatewayV1.MailboxEventReply_Status;
    let status = Status.BUSY;
    if (event.event.case === 'poke') {
      this.poke(key);
      status = Status.POKED;
    } else if (event.event.case === 'deliver') {
      status = (await this.deliver(key, deliverFrames([event.event.value])[0]!)) ? Status.ACKED : Status.BUSY;
    } else if (event.event.case === 'deliverBatch') {
      const acked = await Promise.all(deliverFrames(event.event.value.packets).map((frame) => this.deliver(key, frame)));
      const statuses = acked.map((a) => (a ? Status.ACKED : Status.BUSY));
      return toBinary(gatewayV1.MailboxEventReplySchema, create(gatewayV1.MailboxEventReplySchema, { statuses, replica: this.routeFor(key) }));
    }
    const replica = event.event.case === 'deliver' ? this.routeFor(key) : '';
    return toBinary(gatewayV1.MailboxEventReplySchema, create(gatewayV1.MailboxEventReplySchema, { status, replica }));
  }
}
