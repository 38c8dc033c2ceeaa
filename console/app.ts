import { type Context, Hono } from "hono";
import type { CheckResponse, WhoamiResponse } from "../functions/ops-api/wire.ts";
import type { Clock } from "../shared/kernel/clock.ts";
import { DAY } from "../shared/kernel/clock.ts";
import { isKeyringName, KEYRING_NAMES } from "../shared/keyring/names.ts";
import { actionRoutes } from "./actions.ts";
import { ApiRefusal, consoleReads, type KeyringView, type OpsCaller, read } from "./api.ts";
import { formTokenOf, launchGuard } from "./guard.ts";
import type { FormContext } from "./views/forms.ts";
import { page } from "./views/layout.ts";
import {
  emergencyBody,
  journalBody,
  keyringBody,
  overviewBody,
  revocationsBody,
} from "./views/pages.ts";
import { CONSOLE_CSS } from "./views/style.ts";

export interface ConsoleOptions {
  /** The ops API, with the operator's own credential. */
  readonly api: OpsCaller;
  /** Made per launch: the console's address carries it once (`launchGuard`). */
  readonly secret: string;
  readonly clock: Clock;
  /** Where the console is served. Default `/console`. */
  readonly base?: string;
}

/** What the notices after an action say, by the `done` the action redirects with. */
const NOTICES: Readonly<Record<string, string>> = {
  revoked: "Revoked: verifiers refuse it within 1 s.",
  unchanged: "Nothing new to revoke: a rule already covers it.",
  rotated: "Rotation started: the new key is pending and signs once every live verifier holds it.",
  emergency: "Emergency rotation done: every earlier token is refused. The journal has its reach.",
  "rolled-back": "Rolled back: the previous key signs again.",
  reinstated: "Reinstated: the key verifies again as previous.",
};

/**
 * The operator console: server-rendered pages over the ops API (the operator's credential stays
 * on this server), charts drawn as SVG on the server, forms for the actions. No script at all,
 * so the Content-Security-Policy forbids every script; a page reads the same without JavaScript.
 */
export function createConsoleApp(options: ConsoleOptions): Hono {
  const base = options.base ?? "/console";
  const reads = consoleReads(options.api);
  const token = formTokenOf(options.secret);
  const app = new Hono();

  // `${base}/*` matches `${base}` itself too: one registration covers every console page.
  app.use(`${base}/*`, securityHeaders);
  app.get(`${base}/console.css`, (c) =>
    c.body(CONSOLE_CSS, 200, { "content-type": "text/css; charset=utf-8" }),
  );
  app.use(`${base}/*`, launchGuard(options.secret, base));

  const nav = [
    { href: base, label: "Overview" },
    ...KEYRING_NAMES.map((name) => ({ href: `${base}/keyrings/${name}`, label: name })),
    { href: `${base}/revocations`, label: "Revocations" },
    { href: `${base}/journal`, label: "Journal" },
  ];
  const now = () => options.clock.now();
  const since = () => new Date(now() - 400 * DAY).toISOString().slice(0, 10);
  const keyrings = async () =>
    (await Promise.all(KEYRING_NAMES.map((name) => reads.keyring(name, since())))).filter(
      (view): view is KeyringView => view !== undefined,
    );
  const formsFor = (who: WhoamiResponse): FormContext => ({ base, token, role: who.role });
  /** A page, or the API's refusal on the same page, as text. */
  const render = async (
    c: Context,
    title: string,
    body: (who: WhoamiResponse) => Promise<unknown>,
  ) => {
    const styling = { href: `${base}/console.css` };
    let who: WhoamiResponse | undefined;
    try {
      who = await reads.whoami();
      const done = c.req.query("done");
      return c.html(
        page({
          title,
          who,
          nav,
          styling,
          body: (await body(who)) as string,
          ...(done !== undefined && NOTICES[done] !== undefined ? { notice: NOTICES[done] } : {}),
        }),
      );
    } catch (error) {
      if (!(error instanceof ApiRefusal)) throw error;
      return c.html(
        page({
          title,
          nav,
          styling,
          body: "",
          ...(who === undefined ? {} : { who }),
          error: `The ops API refused: ${error.code}: ${error.message}`,
        }),
        error.status >= 500 ? 503 : 200,
      );
    }
  };

  app.get(base, (c) =>
    render(c, "Overview", async () => {
      const [views, verifiers] = await Promise.all([keyrings(), reads.verifiers()]);
      return overviewBody(base, views, verifiers, now());
    }),
  );

  app.get(`${base}/keyrings/:name`, (c) => {
    const name = c.req.param("name");
    if (!isKeyringName(name)) return c.notFound();
    return render(c, `${name} keyring`, async (who) => {
      const [view, verifiers] = await Promise.all([
        reads.keyring(name, since()),
        reads.verifiers(),
      ]);
      if (view === undefined) return `The ${name} keyring does not exist yet.`;
      return keyringBody(view, verifiers, now(), formsFor(who));
    });
  });

  app.get(`${base}/keyrings/:name/emergency`, (c) => {
    const name = c.req.param("name");
    if (!isKeyringName(name)) return c.notFound();
    return render(c, `Emergency rotation of the ${name} keyring`, async (who) => {
      const view = await reads.keyring(name, since());
      if (view === undefined) return `The ${name} keyring does not exist yet.`;
      const current = view.keys.keys.find((key) => key.status === "current");
      const impact = current === undefined ? undefined : await reads.impact(name, current.kid);
      return emergencyBody(view, impact, formsFor(who));
    });
  });

  app.get(`${base}/revocations`, (c) =>
    render(c, "Revocations", async (who) => {
      const kind = c.req.query("kind");
      const value = c.req.query("value")?.slice(0, 512);
      const search = {
        ...(kind === undefined ? {} : { kind }),
        ...(value === undefined || value === "" ? {} : { value }),
      };
      const [views, audit, result] = await Promise.all([
        keyrings(),
        reads.audit(),
        check(options.api, kind, search.value),
      ]);
      return revocationsBody(base, search, result, audit, views, formsFor(who));
    }),
  );

  app.get(`${base}/journal`, (c) =>
    render(c, "Journal", async () => {
      const before = Number(c.req.query("before"));
      const action = c.req.query("action")?.slice(0, 64) || undefined;
      const actor = c.req.query("actor")?.slice(0, 64) || undefined;
      const [views, audit] = await Promise.all([
        keyrings(),
        reads.audit(Number.isInteger(before) && before > 0 ? before : undefined),
      ]);
      return journalBody(base, views, audit, {
        ...(action === undefined ? {} : { action }),
        ...(actor === undefined ? {} : { actor }),
      });
    }),
  );

  app.route("/", actionRoutes(base, options.api));
  return app;
}

/** A check the ops API answers (subject, jti, key); claims and families are found in the journal. */
async function check(
  api: OpsCaller,
  kind: string | undefined,
  value: string | undefined,
): Promise<CheckResponse | undefined> {
  if (value === undefined || !["sub", "jti", "kid"].includes(kind ?? "")) return undefined;
  return read<CheckResponse>(
    api,
    "GET",
    `/v1/revocations/check?${new URLSearchParams({ [kind as string]: value })}`,
  );
}

/**
 * Every answer of the console: no script may run (there is none), styles and forms only from the
 * console itself, no framing, nothing cached, no referrer to another site.
 */
async function securityHeaders(c: Context, next: () => Promise<void>) {
  await next();
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer a form's POST says `Origin: null`, which the
  // guard refuses; other sites still learn nothing.
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
}
