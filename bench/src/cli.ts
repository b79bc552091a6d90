// Command-line options of `npm run bench` and the settings they select.
import type { RunSettings } from './scenario.js';

/** Parsed command line. */
export interface CliOptions {
  json: boolean;
  quick: boolean;
  only: string[] | null;
  durationSec: number | null;
  /** Rounds (`--repeats`), or null for the default: {@link repeatsFor}. */
  repeats: number | null;
  /** `--compare`: the folder of another built checkout, as given. */
  compare: string | null;
  help: boolean;
}

/** Most rounds `--repeats` accepts: a full round takes about 4.5 min, 20 of them an hour and a half. */
export const MAX_REPEATS = 20;

export const USAGE = `usage: npm run bench -- [--json] [--quick] [--only <row,row>] [--duration <s>] [--repeats <n>]
                             [--compare <dir>]
  --json          print one JSON object on stdout (progress goes to stderr)
  --quick         short run (about a minute): 0.5 s warm-up, 2 s measured (paced phase 0.5 s + 1 s),
                  smaller K and idle counts
  --only a,b      run only these rows (ratios need their reference rows in the same run)
  --duration s    measured seconds of each live row's closed loop and of each session row
                  (default 10, quick 2); the paced phase at half the peak stays 5 s (quick 1 s)
  --repeats n     rounds, each running every row once, a row beside its reference, every other
                  round in reverse order (default 3, quick 1; at most ${MAX_REPEATS}); figures and
                  ratios are medians over the rounds, with min-max
  --compare dir   another checkout of this repository, built there (npm ci && npm run build): each
                  Tacit row also runs on its services as <row>@compare, beside the row in every
                  round, and the report gives this build / that one`;

/** Parses `argv` (without node and script); throws a RangeError naming the bad argument. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { json: false, quick: false, only: null, durationSec: null, repeats: null, compare: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq !== -1 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new RangeError(`"${flag}" expected a value`);
      return v;
    };
    switch (flag) {
      case '--json':
        opts.json = true;
        break;
      case '--quick':
        opts.quick = true;
        break;
      case '--only':
        opts.only = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--duration': {
        const v = value();
        const n = Number(v);
        if (!(Number.isFinite(n) && n >= 0.5 && n <= 120)) throw new RangeError(`"--duration" expected 0.5..120 seconds, got ${v}`);
        opts.durationSec = n;
        break;
      }
      case '--repeats': {
        const v = value();
        const n = Number(v);
        if (!(/^\d+$/.test(v) && n >= 1 && n <= MAX_REPEATS)) throw new RangeError(`"--repeats" expected an integer 1..${MAX_REPEATS}, got ${v}`);
        opts.repeats = n;
        break;
      }
      case '--compare':
        opts.compare = value();
        break;
      case '--help':
      case '-h':
        opts.help = true;
        break;
      default:
        throw new RangeError(`unknown argument "${arg}"`);
    }
  }
  return opts;
}

/** Rounds of the run: `--repeats`, else 3 for a full run (a median needs three) and 1 for --quick. */
export function repeatsFor(opts: Pick<CliOptions, 'quick' | 'repeats'>): number {
  return opts.repeats ?? (opts.quick ? 1 : 3);
}

/** The settings of a full or quick run, with `--duration` applied. */
export function settingsFor(opts: Pick<CliOptions, 'quick' | 'durationSec'>): RunSettings {
  const quick = opts.quick;
  return {
    quick,
    warmupMs: quick ? 500 : 2000,
    durationMs: opts.durationSec !== null ? Math.round(opts.durationSec * 1000) : quick ? 2000 : 10_000,
    pairs: 16,
    window: 16,
    payloadBytes: 256,
    pacedFraction: 0.5,
    pacedWarmupMs: quick ? 500 : 1000,
    pacedDurationMs: quick ? 1000 : 5000,
    pacedTickMs: 1,
    // 16× the closed loop's window: only a server that stops keeping up ever reaches it.
    pacedMaxInFlightPerPair: 256,
    // 200 000 (20 000 until 2026-12-04): 20 000 packets drained in 0.17-0.43 s, a window in which
    // one second of machine noise or one old-generation collection decided the row.
    offlineMessages: quick ? 4000 : 200_000,
    offlinePairs: 16,
    // With 5 000 (until 2026-11-26), per-page and per-batch code had run a few dozen times and was
    // still being compiled while measured; 50 000 runs each hundreds of times.
    offlineWarmupMessages: quick ? 4000 : 50_000,
    // The target: 19 000 idle connections on one gateway process. Both ends hold one descriptor per
    // connection, and the harness raises each process's file limit to the hard limit (20 000 here).
    idleConnections: quick ? 4000 : 19_000,
    // The whole of 127/8 is loopback on Linux, and each source address has its own ephemeral
    // ports. Past a few thousand ports in use on one address, every connect() scans the range
    // for a free one (10 000 from one address took 18-40 s here, from 4-10 addresses 7-12 s).
    idleLocalAddresses: Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`),
    idleConnectionsPerAddress: 2500,
    idleSettleMs: 1000,
  };
}
