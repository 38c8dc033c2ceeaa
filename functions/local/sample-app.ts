import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import type { Clock } from "../../shared/kernel/clock.ts";
import { OPEN_REFUSALS } from "../../shared/sealing/sealer.ts";
import type { Sessions } from "../../shared/sealing/sessions.ts";
import { type TokenSource, tokenOfRequest } from "../../shared/tokens/token-source.ts";
import type { UsageRecorder } from "../../shared/usage/counts.ts";
import {
  type Authenticate,
  countUsage,
  type UsageCount,
} from "../../shared/verification/authenticate.ts";
import { errorAnswer, errorBody } from "../http/errors.ts";

export interface SampleAppOptions {
  /** The verification path the authorizer runs (`verificationFromConfig`). */
  readonly authenticate: Authenticate;
  /** Where the token is (`KEYWARD_TOKEN_HEADER`, `KEYWARD_TOKEN_COOKIE`), as for the authorizer. */
  readonly tokenSource: TokenSource;
  /** The sessions keyring's sealer, as a service would use keyward/sessions. */
  readonly sessions: Sessions;
  readonly usage: UsageRecorder;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

const SESSION_COOKIE = "kw_session";

function sessionCookie(envelope: string): string {
  return `${SESSION_COOKIE}=${envelope}; Path=/session; HttpOnly; SameSite=Strict`;
}

/**
 * The sample application of the local stack: `GET /whoami` behind the authorizer's verification
 * path (401 with the refusal's reason), and a session (`PUT`/`GET /session`) in a cookie sealed
 * with the sessions keyring; a GET whose key is no longer current re-seals it (a new Set-Cookie).
 */
export function createSampleApp(options: SampleAppOptions): Hono {
  const { authenticate, tokenSource, sessions, usage, clock, log } = options;
  const stamp = () => new Date(clock.now()).toISOString();
  const app = new Hono();
  app.onError(errorAnswer);
  const count: UsageCount = (kid, outcome, nowMs, consumer) => {
    usage.record(kid, nowMs, outcome, consumer);
  };
  app.get("/whoami", async (c) => {
    const result = await authenticate(tokenOfRequest((name) => c.req.header(name), tokenSource));
    countUsage(result, count, clock.now());
    if (!result.ok) {
      const rule = result.rule === undefined ? "" : ` (${result.rule})`;
      log(`${stamp()} refused: ${result.reason}${rule}`);
      c.header("WWW-Authenticate", `Bearer realm="keyward", error="invalid_token"`);
      return c.json(errorBody(result.reason, `token refused: ${result.reason}${rule}`), 401);
    }
    return c.json({
      sub: result.claims.sub,
      kid: result.kid,
      keyStatus: result.keyStatus,
      claims: result.claims,
    });
  });
  app.put("/session", async (c) => {
    const data = await c.req.text();
    if (data.length > 4096)
      return c.json(errorBody("too_large", "a session holds at most 4096 characters"), 413);
    const envelope = await sessions.seal(data, { aad: SESSION_COOKIE });
    c.header("Set-Cookie", sessionCookie(envelope));
    return c.json({ kid: envelope.split(".")[1] });
  });
  app.get("/session", async (c) => {
    const opened = await sessions.open(getCookie(c, SESSION_COOKIE), { aad: SESSION_COOKIE });
    if (!opened.ok) {
      log(`${stamp()} session refused: ${opened.reason}`);
      return c.json(errorBody(opened.reason, OPEN_REFUSALS[opened.reason]), 401);
    }
    if (opened.reseal)
      c.header(
        "Set-Cookie",
        sessionCookie(await sessions.seal(opened.plaintext, { aad: SESSION_COOKIE })),
      );
    return c.json({
      data: new TextDecoder().decode(opened.plaintext),
      kid: opened.kid,
      resealed: opened.reseal,
    });
  });
  return app;
}
