// HELLO carries a range rather than one version so that either side can upgrade first.
import { _aint, _typeName } from './_bytes.js';
import { ErrorCode, ProtocolError } from './errors.js';

/**
 * Highest version in both clientMin..clientMax and `serverSupported`. Throws ProtocolError
 * UNSUPPORTED_VERSION (field `version`) when there is none: answer with ERROR, then close 4426.
 */
export function negotiateVersion(clientMin: number, clientMax: number, serverSupported: readonly number[]): number {
  _aint(clientMin, 'clientMin', 0, 255);
  _aint(clientMax, 'clientMax', 0, 255);
  if (!Array.isArray(serverSupported)) {
    throw new TypeError(`"serverSupported" expected array, got ${_typeName(serverSupported)}`);
  }
  let best = -1;
  for (const v of serverSupported) {
    _aint(v, 'serverSupported[]', 1, 255);
    if (v >= clientMin && v <= clientMax && v > best) best = v;
  }
  if (best < 0) {
    throw new ProtocolError(
      ErrorCode.UNSUPPORTED_VERSION,
      'version',
      `"version" no common version: client ${clientMin}..${clientMax}, server ${serverSupported.join(',') || 'none'}`,
    );
  }
  return best;
}
