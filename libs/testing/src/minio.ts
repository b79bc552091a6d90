import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSearchDirs, findBinary } from './binaries.js';
import { _launch, _retryOnPortClash, type TestServer } from './server.js';
import { _httpOk, _makeServerDir } from './_tmp.js';
import { freePort } from './wait.js';

/** Options of {@link startMinio}. */
export interface MinioOptions {
  /** Root user (default `tacit-test`). */
  accessKey?: string;
  /** Root password, at least 8 characters (default `tacit-test-secret`). */
  secretKey?: string;
  /** Region the server reports (default `us-east-1`). */
  region?: string;
  /** Search only these folders for `minio`. */
  binDirs?: string[];
  /** How long to wait for readiness (default 60 000 ms). */
  readyTimeoutMs?: number;
}

/** A running single-drive MinIO server, S3-compatible. */
export interface MinioServer extends TestServer {
  /** `http://127.0.0.1:<port>`; S3 clients need `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

async function _startMinioOnce(options: MinioOptions): Promise<MinioServer> {
  const binary = findBinary('minio', options.binDirs ?? defaultSearchDirs());
  const accessKey = options.accessKey ?? 'tacit-test';
  const secretKey = options.secretKey ?? 'tacit-test-secret';
  if (secretKey.length < 8) throw new RangeError(`"secretKey" expected at least 8 characters, got ${secretKey.length}`);
  const region = options.region ?? 'us-east-1';
  const [port, consolePort] = [await freePort(), await freePort()];
  const dir = _makeServerDir('minio');
  const data = join(dir, 'data');
  mkdirSync(data);
  const endpoint = `http://127.0.0.1:${port}`;
  return _launch(
    {
      name: 'minio',
      command: binary,
      args: [
        'server', data,
        '--address', `127.0.0.1:${port}`,
        '--console-address', `127.0.0.1:${consolePort}`,
        '--certs-dir', join(dir, 'certs'),
      ],
      env: {
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_SITE_REGION: region,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
        // Keep MinIO's own config out of the developer's home folder.
        HOME: dir,
      },
      dir,
      logFile: join(dir, 'minio.log'),
      ready: () => _httpOk(`${endpoint}/minio/health/ready`),
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    },
    port,
    { endpoint, accessKey, secretKey, region },
  );
}

/** Starts MinIO on a free loopback port and resolves once `/minio/health/ready` answers 200. */
export function startMinio(options: MinioOptions = {}): Promise<MinioServer> {
  return _retryOnPortClash(() => _startMinioOnce(options));
}
