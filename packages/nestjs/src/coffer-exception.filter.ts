import { cofferErrorResponse } from "@coffer/core";
import { type ArgumentsHost, Catch, HttpException, Logger } from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";

const logger = new Logger("CofferExceptionFilter");

/**
 * Answers a CofferError with its status and `{ error: { code, message, details? } }` (a 5xx keeps
 * only its code, and is logged in full here); any other error gets Nest's default handling.
 *
 * @example
 * ```ts
 * import { APP_FILTER } from "@nestjs/core";
 *
 * @Module({ providers: [{ provide: APP_FILTER, useClass: CofferExceptionFilter }] })
 * export class AppModule {}
 * // or: app.useGlobalFilters(new CofferExceptionFilter(app.getHttpAdapter()));
 * ```
 */
@Catch()
export class CofferExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const response = cofferErrorResponse(exception);
    if (response === undefined) {
      super.catch(exception, host);
    } else {
      if (response.status >= 500) logger.error(exception);
      super.catch(new HttpException(response.body, response.status, { cause: exception }), host);
    }
  }
}
