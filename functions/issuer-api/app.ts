import { Hono } from "hono";
import type { IssuingClient } from "../../shared/access/clients.ts";
import type { Issuer } from "../../shared/issuing/issuer.ts";
import { IssuerUnavailable } from "../../shared/issuing/issuer.ts";
import type { Clock } from "../../shared/kernel/clock.ts";
import { UsageError } from "../../shared/kernel/errors.ts";
import { type LineWriter, stdoutWriter } from "../../shared/observability/log.ts";
import { METRIC_NAMESPACE, metricLine } from "../../shared/observability/metrics.ts";
import { RESERVED_CLAIMS } from "../../shared/tokens/signer.ts";
import { limitBody } from "../http/body-limit.ts";
import { requireHolder } from "../http/credential.ts";
import { ApiError, errorAnswer, errorBody } from "../http/errors.ts";
import { boundedClaims, jsonBody, strictObject, text } from "../http/input.ts";

export interface IssuingAppOptions {
  readonly issuer: Issuer;
  readonly clients: readonly IssuingClient[];
  readonly clock: Clock;
  /** Where the per-client issuance metric lines go (stdout, read by CloudWatch, in Lambda). */
  readonly write?: LineWriter;
}

const issuedLine = metricLine({
  namespace: METRIC_NAMESPACE,
  dimensionSets: [["Client"], ["Client", "Kid"]],
  metrics: { TokensIssued: "Count" },
});

/**
 * `POST /v1/tokens`: tokens for login services that cannot use `keyward/issuer` (other languages).
 * Each client authenticates with its own credential (constant-time), and may set only the claims,
 * audiences and lifetime it is configured for. Runs as its own function: signing and managing keys
 * are different powers. Never logs or counts a token, only the client and the kid.
 */
export function createIssuingApp(options: IssuingAppOptions): Hono {
  const app = new Hono();
  const write = options.write ?? stdoutWriter;
  app.onError(errorAnswer);
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route ${c.req.method} ${c.req.path}`), 404),
  );
  app.get("/v1/health", (c) => c.json({ status: "ok" }));

  const counted = (client: string, kid: string) =>
    write(issuedLine({ Client: client, Kid: kid }, { TokensIssued: 1 }, {}, options.clock.now()));

  app.post("/v1/tokens", limitBody(64 * 1024), async (c) => {
    const client = await requireHolder(
      c,
      options.clients,
      "keyward-issuing",
      "a valid client credential is required",
    );
    const fields = strictObject(await jsonBody(c), [
      "sub",
      "claims",
      "audience",
      "lifetimeSeconds",
      "refresh",
      "userAgent",
    ]);
    const sub = text(fields, "sub", 512);
    const claims = fields.claims === undefined ? {} : boundedClaims(fields.claims, "body.claims");
    const registered = Object.keys(claims).filter((name) => RESERVED_CLAIMS.has(name));
    if (registered.length > 0)
      throw new ApiError(
        400,
        "invalid_request",
        `body.claims cannot set ${registered.join(", ")}: keyward sets them`,
      );
    const forbidden = client.claims.includes("*")
      ? []
      : Object.keys(claims).filter((name) => !client.claims.includes(name));
    if (forbidden.length > 0)
      throw new ApiError(
        403,
        "claim_not_allowed",
        `client ${client.name} may not set ${forbidden.join(", ")}`,
      );
    const audience = fields.audience === undefined ? undefined : text(fields, "audience", 512);
    if (audience !== undefined && !client.audiences.some((a) => a === "*" || a === audience))
      throw new ApiError(
        403,
        "audience_not_allowed",
        `client ${client.name} may not ask for audience ${audience}`,
      );
    const lifetime = fields.lifetimeSeconds ?? Math.min(3600, client.maxLifetimeSeconds);
    if (
      typeof lifetime !== "number" ||
      !Number.isInteger(lifetime) ||
      lifetime < 1 ||
      lifetime > client.maxLifetimeSeconds
    )
      throw new ApiError(
        400,
        "invalid_request",
        `body.lifetimeSeconds must be a whole number from 1 to ${client.maxLifetimeSeconds}`,
      );
    if (fields.refresh !== undefined && typeof fields.refresh !== "boolean")
      throw new ApiError(400, "invalid_request", "body.refresh must be true or false");
    const userAgent = fields.userAgent === undefined ? undefined : text(fields, "userAgent", 512);
    const issued = await issuing(() =>
      options.issuer.issue({
        sub,
        // The authorized party names the client, so verifiers count who uses each key (the
        // impact preview); a client allowed to set azp itself keeps its own.
        claims: "azp" in claims ? claims : { ...claims, azp: client.name },
        lifetimeSeconds: lifetime,
        client: client.name,
        ...(audience === undefined ? {} : { audience }),
        ...(fields.refresh === true ? { refresh: true } : {}),
        ...(userAgent === undefined ? {} : { userAgent }),
      }),
    );
    counted(client.name, issued.kid);
    return c.json(issued, 201);
  });

  // A refresh token for a new access token and the family's next refresh token. The family keeps
  // the claims, audience and lifetime its login was given.
  app.post("/v1/tokens/refresh", limitBody(4 * 1024), async (c) => {
    const client = await requireHolder(
      c,
      options.clients,
      "keyward-issuing",
      "a valid client credential is required",
    );
    const fields = strictObject(await jsonBody(c), ["refreshToken"]);
    if (typeof fields.refreshToken !== "string")
      throw new ApiError(400, "invalid_request", "body.refreshToken must be a string");
    const refreshToken = fields.refreshToken;
    // Only the client the family was issued to may refresh it.
    const result = await issuing(() =>
      options.issuer.refresh(refreshToken, { client: client.name }),
    );
    if (!result.ok) {
      c.header("WWW-Authenticate", 'Bearer realm="keyward-refresh", error="invalid_grant"');
      return c.json(errorBody(result.reason, result.message), 401);
    }
    const { ok: _, ...issued } = result;
    counted(client.name, issued.kid);
    return c.json(issued, 200);
  });
  return app;
}

/** The issuer's typed errors as answers: no keyring is a 503, a refused request a 400. */
async function issuing<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof IssuerUnavailable) throw new ApiError(503, error.code, error.message);
    if (error instanceof UsageError) throw new ApiError(400, "invalid_request", error.message);
    throw error;
  }
}
