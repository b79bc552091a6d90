// Harness side of the load generator: start the child, hand it the job, await its one result,
// kill it if it overruns.
import { fileURLToPath } from 'node:url';
import { startNodeProcess } from '../proc.js';
import type { ChildMessage, IdleJob, IdleResult, LiveJob, LiveResult, LoadJob, LoadResult, OfflineJob, OfflineResult } from './job.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** Runs `job` in a fresh load-generator process; rejects after `timeoutMs`. */
export function runLoad(job: LiveJob, timeoutMs: number): Promise<LiveResult>;
export function runLoad(job: OfflineJob, timeoutMs: number): Promise<OfflineResult>;
export function runLoad(job: IdleJob, timeoutMs: number): Promise<IdleResult>;
export async function runLoad(job: LoadJob, timeoutMs: number): Promise<LoadResult> {
  const proc = startNodeProcess(CHILD, [], { ipc: true, gcHook: false, output: 'capture' });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator overran ${timeoutMs} ms`)), timeoutMs);
      proc.child.once('message', (msg: ChildMessage) => {
        clearTimeout(timer);
        if (msg.type === 'result') resolve(msg.result);
        else reject(new Error(`load generator: ${msg.message}`));
      });
      void proc.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`load generator exited (${code}) without a result: ${proc.output().slice(-2000)}`));
      });
      proc.child.send(job);
    });
  } finally {
    await proc.stop(1000);
  }
}
