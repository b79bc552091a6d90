import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';

/**
 * Lets every error a bus handler throws through unchanged, so the bus carries a TacitError back to
 * the caller as the same class (Nest's default RPC filter would turn anything but an RpcException
 * into `{status: 'error', message: 'Internal server error'}`). Untyped errors still reach the
 * caller as InternalError without their message: the bus does that. Registered globally on the
 * application (a hybrid app's microservice inherits it: registering it on the microservice after
 * connectMicroservice is too late), so HTTP errors (the ops listener's) go to Nest's own filter.
 */
@Catch()
export class BusErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    return super.catch(exception, host);
  }
}
