import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Lets every error a bus handler throws through unchanged, so the bus carries a TacitError back to
 * the caller as the same class (Nest's default RPC filter would turn anything but an RpcException
 * into `{status: 'error', message: 'Internal server error'}`). Untyped errors still reach the
 * caller as InternalError without their message: the bus does that.
 */
@Catch()
export class BusErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
