// The one-container node serves media from its data folder: a tus upload in two pieces, a download
// whole and by range, the blob on disk under DATA_DIR/media, and metrics that count without ids.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@tacit/kit';
import { httpGet } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';

const TUS = { 'Tus-Resumable': '1.0.0' };

describe('the node serves media from its data folder', () => {
  let dir: string;
  let sut: RunningNode;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-node-media-'));
    sut = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir }, createLogger({ service: 'node', write: () => {} }));
  });
  after(async () => {
    await sut.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a tus upload in two pieces and serves it whole and by range', async () => {
    assert.match(sut.mediaUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(sut.mediaUrl).port, '8082');
    const blob = randomBytes(300_000);
    const created = await fetch(`${sut.mediaUrl}/v1/media/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(blob.length) } });
    assert.equal(created.status, 201);
    const id = created.headers.get('location')!.split('/').pop()!;
    for (const [from, to] of [[0, 100_000], [100_000, blob.length]] as const) {
      const r = await fetch(`${sut.mediaUrl}/v1/media/uploads/${id}`, {
        method: 'PATCH',
        headers: { ...TUS, 'Upload-Offset': String(from), 'Content-Type': 'application/offset+octet-stream' },
        body: blob.subarray(from, to),
      });
      assert.equal(r.status, 204);
    }
    assert.ok(existsSync(path.join(dir, 'media', id)), 'the blob lives in DATA_DIR/media');
    const whole = await fetch(`${sut.mediaUrl}/v1/media/blobs/${id}`);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(blob));
    const part = await fetch(`${sut.mediaUrl}/v1/media/blobs/${id}`, { headers: { Range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(blob.subarray(1000, 2000)));

    const metrics = (await httpGet(`${sut.opsUrl}/metrics`)).text;
    assert.match(metrics, /tacit_media_uploads_total\{event="completed"[^}]*\} 1\n/);
    assert.match(metrics, /tacit_media_download_bytes_total(\{[^}]*\})? 301000\n/);
    assert.ok(!metrics.includes(id), 'no blob id in the metrics');
  });
});
