import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertSubject, assertSubjectPattern, subjectMatches } from './bus.js';

describe(subjectMatches.name, () => {
  const cases: [string, string, boolean][] = [
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*', 'a', false],
    ['*.b', 'a.b', true],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.b', 'a.b.c', false],
  ];
  for (const [pattern, subject, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${subject}`, () => {
      assert.equal(subjectMatches(pattern, subject), expected);
    });
  }

  it('rejects malformed subjects and patterns with TypeError', () => {
    for (const bad of ['', 'a..b', 'a.', '.a', 'a b', 'a.*', 'a.>']) assert.throws(() => assertSubject(bad), TypeError);
    for (const bad of ['', 'a..b', 'a.>.b', 'a.b*', 'a\tb']) assert.throws(() => assertSubjectPattern(bad), TypeError);
    assertSubject('queue.deliver.v1');
    assertSubjectPattern('queue.*.>');
  });
});
