import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_CODE_HEADER,
  ERROR_MESSAGE_HEADER,
  errorFromCode,
  errorFromHeaders,
  errorToHeaders,
  InternalError,
  InvalidArgumentError,
  NoRespondersError,
  NotFoundError,
  ResourceExhaustedError,
  TacitError,
  TimeoutError,
  toTacitError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';

const roundTrip = (err: unknown): TacitError | undefined => {
  const h = errorToHeaders(err);
  return errorFromHeaders((k) => h[k]);
};

describe(TacitError.name, () => {
  const classes = [
    [InvalidArgumentError, 'invalid_argument', false],
    [NotFoundError, 'not_found', false],
    [UnauthorizedError, 'unauthorized', false],
    [ResourceExhaustedError, 'resource_exhausted', true],
    [UnavailableError, 'unavailable', true],
    [TimeoutError, 'timeout', true],
    [NoRespondersError, 'no_responders', true],
    [InternalError, 'internal', false],
  ] as const;

  for (const [Ctor, code, retryable] of classes) {
    it(`${Ctor.name} has name, code, retryable, cause and survives the header round trip`, () => {
      const cause = new Error('root');
      const sut = new Ctor('mailbox full', { cause });
      assert.equal(sut.name, Ctor.name);
      assert.equal(sut.code, code);
      assert.equal(sut.retryable, retryable);
      assert.equal(sut.cause, cause);
      assert.ok(sut instanceof TacitError && sut instanceof Error);
      const back = roundTrip(sut);
      assert.ok(back instanceof Ctor);
      assert.equal(back.message, 'mailbox full');
      assert.equal(back.code, code);
    });
  }

  it('sends untyped errors as internal without their message', () => {
    const back = roundTrip(new Error('password=hunter2'));
    assert.ok(back instanceof InternalError);
    assert.equal(back.message, 'internal error');
    assert.ok(toTacitError('x') instanceof InternalError);
  });

  it('keeps header values single-line and bounded', () => {
    const h = errorToHeaders(new InvalidArgumentError(`a\r\nInjected: 1\n${'x'.repeat(2000)}`));
    const msg = h[ERROR_MESSAGE_HEADER]!;
    assert.doesNotMatch(msg, /[\r\n]/);
    assert.ok(msg.length <= 512);
    assert.equal(h[ERROR_CODE_HEADER], 'invalid_argument');
  });

  it('decodes unknown codes as internal and no code as no error', () => {
    assert.ok(errorFromCode('teapot', 'x') instanceof InternalError);
    assert.ok(errorFromCode('__proto__', 'x') instanceof InternalError);
    assert.equal(errorFromHeaders(() => undefined), undefined);
  });
});
