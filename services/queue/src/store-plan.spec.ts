// Small tests: the batch as the store takes it (each pair once, grouped by mailbox) and the way back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NewPacket } from './model.js';
import { StorePlan } from './store-plan.js';

const id = (b: number): Uint8Array => new Uint8Array(16).fill(b);
const packet = (mailbox: number, pid: number): NewPacket => ({ mailboxId: id(mailbox), packetId: id(pid), packet: new Uint8Array([pid]), expiresAt: 0 });
/** "mailbox:packet" of each packet, to read orders at a glance. */
const names = (ps: readonly NewPacket[]) => ps.map((p) => `${p.mailboxId[0]}:${p.packetId[0]}`);

describe(StorePlan.name, () => {
  it('groups the batch by mailbox: batch order within each, mailboxes in order of first appearance', () => {
    const plan = new StorePlan([packet(2, 10), packet(1, 11), packet(2, 12), packet(3, 13), packet(1, 14), packet(2, 15)]);
    assert.deepEqual(names(plan.unique), ['2:10', '2:12', '2:15', '1:11', '1:14', '3:13']);
  });

  it('sends a pair repeated in the batch once; the repeat takes its fate (stored -> duplicate)', () => {
    const batch = [packet(1, 10), packet(2, 20), packet(1, 10), packet(1, 11)];
    const plan = new StorePlan(batch);
    assert.deepEqual(names(plan.unique), ['1:10', '1:11', '2:20']);
    assert.deepEqual(plan.statuses([], []), ['stored', 'stored', 'duplicate', 'stored']);
  });

  it('maps the store\'s 1-based positions in the grouped order back to the batch\'s order, repeats included', () => {
    // Grouped: 1:10, 1:10 (repeat dropped), 1:11 -> unique [1:10, 1:11, 2:20, 3:30].
    const batch = [packet(1, 10), packet(2, 20), packet(1, 11), packet(3, 30), packet(1, 10), packet(2, 20)];
    const plan = new StorePlan(batch);
    assert.deepEqual(names(plan.unique), ['1:10', '1:11', '2:20', '3:30']);
    // The store found 1:11 stored already and 2:20's mailbox full.
    assert.deepEqual(plan.statuses([2], [3]), ['stored', 'mailbox_full', 'duplicate', 'stored', 'duplicate', 'mailbox_full']);
  });

  it('tells the same packet id in two mailboxes apart (a pair is mailbox and packet)', () => {
    const plan = new StorePlan([packet(1, 10), packet(2, 10)]);
    assert.deepEqual(names(plan.unique), ['1:10', '2:10']);
    assert.deepEqual(plan.statuses([], []), ['stored', 'stored']);
  });
});
