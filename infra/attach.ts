import { Duration } from "aws-cdk-lib";
import {
  type IAuthorizer,
  IdentitySource,
  RequestAuthorizer,
  TokenAuthorizer,
} from "aws-cdk-lib/aws-apigateway";
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { ConfigInvalid } from "../shared/kernel/errors.ts";

export interface AttachOptions {
  /** The header the token comes in. Default `Authorization` (`Bearer <token>`). */
  readonly header?: string;
  /**
   * API Gateway's cache of the authorizer's answer, per token. Default 0 (off); at most 1 s,
   * refused above: a cached "allowed" outlives a revocation by up to this long.
   */
  readonly resultsCacheTtl?: Duration;
}

export interface RestAttachOptions extends AttachOptions {
  /**
   * `token` (the header's value only, the smallest event) or `request` (headers and cookies,
   * for KEYWARD_TOKEN_HEADER / KEYWARD_TOKEN_COOKIE set-ups). Default `token`.
   */
  readonly type?: "token" | "request";
}

/**
 * Every authorizer keyward makes for an API has its result cache off unless told otherwise, and
 * never over 1 s: API Gateway would keep answering "allowed" for a cached token for up to the TTL
 * (300 s by default) after it was revoked, breaking the promise that a revocation holds within 1 s.
 */
export function checkedCacheTtl(ttl: Duration | undefined): Duration {
  if (ttl === undefined) return Duration.seconds(0);
  if (ttl.toMilliseconds() > 1_000) {
    throw new ConfigInvalid([
      `resultsCacheTtl of ${ttl.toSeconds()} s is refused: a cached "allowed" would outlive a revocation by that long, and keyward promises 1 s (use 0 or 1 s)`,
    ]);
  }
  return ttl;
}

/** keyward's authorizer for a REST API (v1), for its methods' `authorizer`. */
export function restApiAuthorizer(
  scope: Construct,
  id: string,
  handler: IFunction,
  options: RestAttachOptions = {},
): IAuthorizer {
  const header = options.header ?? "Authorization";
  const resultsCacheTtl = checkedCacheTtl(options.resultsCacheTtl);
  return options.type === "request"
    ? new RequestAuthorizer(scope, id, {
        handler,
        identitySources: [IdentitySource.header(header)],
        resultsCacheTtl,
      })
    : new TokenAuthorizer(scope, id, {
        handler,
        identitySource: IdentitySource.header(header),
        resultsCacheTtl,
      });
}

/** keyward's authorizer for an HTTP API (v2): payload 2.0, simple responses, cache off. */
export function httpApiAuthorizer(
  id: string,
  handler: IFunction,
  options: AttachOptions = {},
): HttpLambdaAuthorizer {
  return new HttpLambdaAuthorizer(id, handler, {
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    identitySource: [`$request.header.${options.header ?? "Authorization"}`],
    resultsCacheTtl: checkedCacheTtl(options.resultsCacheTtl),
  });
}
