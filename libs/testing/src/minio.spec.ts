import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MissingServerError } from './errors.js';
import { _isAlive, killAll } from './server.js';
import { startMinio, type MinioServer } from './minio.js';

function s3(server: MinioServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
}

async function getText(client: S3Client, Bucket: string, Key: string): Promise<string> {
  const res = await client.send(new GetObjectCommand({ Bucket, Key }));
  return (await res.Body?.transformToString()) ?? '';
}

describe(startMinio.name, () => {
  after(() => killAll({ signal: 'SIGKILL' }));

  it('creates a bucket, stores an object and keeps it across restart()', async () => {
    const sut = await startMinio();
    try {
      let client = s3(sut);
      await client.send(new CreateBucketCommand({ Bucket: 'blobs' }));
      await client.send(new PutObjectCommand({ Bucket: 'blobs', Key: 'a/b', Body: 'opaque bytes' }));
      assert.equal(await getText(client, 'blobs', 'a/b'), 'opaque bytes');
      client.destroy();

      const port = sut.port;
      await sut.restart();
      assert.equal(sut.port, port);
      client = s3(sut);
      assert.equal(await getText(client, 'blobs', 'a/b'), 'opaque bytes');
      client.destroy();
    } finally {
      await sut.stop();
    }
  });

  it('stop() ends the process and removes its folder', async () => {
    const sut = await startMinio();
    const { pid, dir } = sut;
    assert.ok(_isAlive(pid));
    await sut.stop();
    assert.equal(_isAlive(pid), false);
    assert.equal(existsSync(dir), false);
  });

  it('throws MissingServerError naming minio when the binary is not found', async () => {
    const bogus = join(tmpdir(), 'tacit-no-such-bin-dir');
    await assert.rejects(startMinio({ binDirs: [bogus] }), (err: unknown) => {
      assert.ok(err instanceof MissingServerError);
      assert.equal(err.binary, 'minio');
      return true;
    });
  });
});
