// Preloaded (--import) into every server the harness starts with --expose-gc: SIGUSR2 runs a full
// collection, so the idle-connections row can read RSS without garbage that is merely uncollected.
// Node leaves SIGUSR2 unused (SIGUSR1 is the inspector's), and a signal listener does not keep
// the process alive.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) process.on('SIGUSR2', () => gc());
