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

export interface AttachOptions {
  /** The header the token comes in. Default `Authorization` (`Bearer <token>`). */
  readonly header?: string;
}

export interface RestAttachOptions extends AttachOptions {
  /**
   * `token` (the header's value only, the smallest event) or `request` (headers and cookies,
   * for KEYWARD_TOKEN_HEADER / KEYWARD_TOKEN_COOKIE set-ups). Default `token`.
   */
  readonly type?: "token" | "request";
}

/**
 * Every authorizer keyward makes for an API has its result cache off: API Gateway would keep
 * answering "allowed" for a cached token for up to the TTL (300 s by default) after it was
 * revoked, breaking the promise that a revocation holds within 1 s.
 */
const NO_CACHE = Duration.seconds(0);

/** keyward's authorizer for a REST API (v1), for its methods' `authorizer`. */
export function restApiAuthorizer(
  scope: Construct,
  id: string,
  handler: IFunction,
  options: RestAttachOptions = {},
): IAuthorizer {
  const header = options.header ?? "Authorization";
  return options.type === "request"
    ? new RequestAuthorizer(scope, id, {
        handler,
        identitySources: [IdentitySource.header(header)],
        resultsCacheTtl: NO_CACHE,
      })
    : new TokenAuthorizer(scope, id, {
        handler,
        identitySource: IdentitySource.header(header),
        resultsCacheTtl: NO_CACHE,
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
    resultsCacheTtl: NO_CACHE,
  });
}
