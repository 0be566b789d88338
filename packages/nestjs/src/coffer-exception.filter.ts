import type { ServerResponse } from "node:http";
import { cofferErrorResponse, isCofferError } from "@coffer/core";
import { type ArgumentsHost, Catch, HttpException, type HttpServer, Logger } from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";

const logger = new Logger("CofferExceptionFilter");

/** What `@Catch` matches (Nest tests with `instanceof`): any CofferError, from any copy of core. */
abstract class AnyCofferError {
  static [Symbol.hasInstance](value: unknown): boolean {
    return isCofferError(value);
  }
}

/**
 * Answers a CofferError with its status and `{ error: { code, message, details? } }` (a 5xx keeps
 * only its code, and is logged in full here); other errors are left to the next filter, or to
 * Nest's default handling. Needs no constructor argument: without the HTTP adapter (as in
 * `app.useGlobalFilters(new CofferExceptionFilter())`) it answers on the Node response itself.
 *
 * @example
 * ```ts
 * import { APP_FILTER } from "@nestjs/core";
 *
 * @Module({ providers: [{ provide: APP_FILTER, useClass: CofferExceptionFilter }] })
 * export class AppModule {}
 * // or: app.useGlobalFilters(new CofferExceptionFilter());
 * ```
 */
@Catch(AnyCofferError)
export class CofferExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const answer = cofferErrorResponse(exception);
    if (answer && answer.status >= 500) logger.error(exception);
    const error = answer
      ? new HttpException(answer.body, answer.status, { cause: exception })
      : exception;
    if (this.applicationRef ?? this.httpAdapterHost?.httpAdapter) super.catch(error, host);
    else WITHOUT_ADAPTER.catch(error, host);
  }
}

type Reply = ServerResponse & { raw?: ServerResponse };
/** The adapter calls BaseExceptionFilter makes, on the Node response (Fastify's `reply.raw`). */
const nodeResponse: Pick<HttpServer<unknown, Reply>, "isHeadersSent" | "reply" | "end"> = {
  isHeadersSent: (response) => (response.raw ?? response).headersSent,
  reply(response, body, status) {
    (response.raw ?? response)
      .writeHead(status ?? 500, { "content-type": "application/json; charset=utf-8" })
      .end(JSON.stringify(body));
  },
  end: (response, message) => (response.raw ?? response).end(message),
};
const WITHOUT_ADAPTER = new BaseExceptionFilter(nodeResponse as HttpServer);
