// This package's fuzz targets in the test suite: seeds, kept crash inputs (src/fuzz/regressions/)
// and seeded mutations of them, by the shared harness (libs/protocol/src/fuzz/harness.ts).
import { fuzzTargetsSpec } from '@tacit/protocol/fuzz-harness.js';
import * as ack from './ack.fuzz.js';

fuzzTargetsSpec({ ack }, new URL('../../src/fuzz/regressions/', import.meta.url));
