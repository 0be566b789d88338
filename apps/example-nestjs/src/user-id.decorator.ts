import type { IncomingMessage } from "node:http";
import { createParamDecorator, type ExecutionContext, UnauthorizedException } from "@nestjs/common";

/**
 * The signed-in user's id. This example has no sign-in: it trusts an `x-user-id` header. Take the
 * id from your session or token instead.
 */
export const UserId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const id = context.switchToHttp().getRequest<IncomingMessage>().headers["x-user-id"];
  if (typeof id !== "string" || !/^[\w-]{1,64}$/.test(id)) {
    throw new UnauthorizedException("Send an x-user-id header: letters, digits, _ or -.");
  }
  return id;
});
