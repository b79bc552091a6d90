import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCpuSeconds, readTreeCpuSeconds } from './proc.js';

// Spins until the process has used argv[1] ms of CPU (not wall time: the machine may be busy).
const SPIN = `const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (cpu() < Number(process.argv[1]));`;

const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number);

describe(readTreeCpuSeconds.name, () => {
  it("counts a reaped child's CPU and a live child's, where the parent's own reading shows neither", async () => {
    // A shell that does nothing itself but runs children that work (as PostgreSQL's postmaster does
    // while its backends work): one that uses 1 s of CPU and ends, then one that keeps spinning.
    const node = process.execPath;
    const sh = spawn('sh', ['-c', `"${node}" -e '${SPIN}' 1000; "${node}" -e '${SPIN}' 60000`], { stdio: 'ignore', detached: true });
    try {
      const pid = sh.pid!;
      let first: number | undefined;
      const deadline = Date.now() + 30_000;
      // The moment the second child shows up, the first has ended and the shell has reaped it.
      for (;;) {
        assert.ok(Date.now() < deadline, 'the second child never started');
        const kids = childrenOf(pid);
        if (first === undefined && kids.length > 0) first = kids[0];
        if (first !== undefined && kids.length > 0 && kids[0] !== first) break;
        await sleep(10);
      }
      const tree = readTreeCpuSeconds(pid);
      const own = readCpuSeconds(pid);
      assert.ok(own < 0.1, `the shell itself used ${own} s`);
      assert.ok(tree >= 0.99, `the tree reads ${tree} s, expected the first child's 1 s at least`);
      await sleep(300);
      const later = readTreeCpuSeconds(pid);
      assert.ok(later > tree, `the live child's work is counted: ${later} s after ${tree} s`);
    } finally {
      process.kill(-sh.pid!, 'SIGKILL');
      if (sh.exitCode === null && sh.signalCode === null) await once(sh, 'exit');
    }
  });

  it('throws for a process that does not exist', () => {
    // Above the kernel's largest pid (2^22): never a live process.
    assert.throws(() => readTreeCpuSeconds(2 ** 22 + 12_345), /ENOENT/);
  });
});
