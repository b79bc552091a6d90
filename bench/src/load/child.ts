// Entry of the load-generator process: receives one job over IPC, loads the job's driver module,
// runs the job and sends back one result. A separate process from every server under test, so
// the load and the server each get a core.
import type { CreateDriver } from './driver.js';
import type { ChildMessage, LoadJob, LoadResult } from './job.js';
import { runIdle, runLive, runOffline } from './modes.js';

async function run(job: LoadJob): Promise<LoadResult> {
  const mod = (await import(job.driver.module)) as { createDriver?: CreateDriver };
  if (typeof mod.createDriver !== 'function') throw new TypeError(`${job.driver.module} exports no createDriver`);
  const driver = mod.createDriver(job.driver.options ?? {});
  switch (job.mode) {
    case 'live':
      return runLive(job, driver);
    case 'offline':
      return runOffline(job, driver);
    case 'idle':
      return runIdle(job, driver);
  }
}

const reply = (msg: ChildMessage): void => {
  process.send!(msg, () => process.exit(0));
};

if (!process.send) {
  process.stderr.write('load/child.js is started by the bench harness over IPC\n');
  process.exit(2);
}
// The harness going away (crash, Ctrl-C) closes the channel: stop rather than load a dead server.
process.on('disconnect', () => process.exit(1));
process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => reply({ type: 'result', result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    },
  );
});
