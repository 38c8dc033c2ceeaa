import { type Context, Hono } from "hono";
import { isKeyringName } from "../shared/keyring/names.ts";
import { ApiRefusal, type OpsCaller, read } from "./api.ts";
import { page } from "./views/layout.ts";

/**
 * The console's actions, each one ops API call with the operator's credential (so the API's
 * roles decide: a viewer's forged request is refused there too), journaled as the CLI's are. On
 * success the browser is sent back to the page it came from with a notice; a refusal is shown
 * with the API's own code and message.
 */
export function actionRoutes(base: string, api: OpsCaller): Hono {
  const app = new Hono();
  const at = `${base}/actions`;

  app.post(`${at}/revoke`, async (c) => {
    const form = await c.req.parseBody();
    const value = text(form.value);
    const reason = text(form.reason);
    const target = revocationTarget(text(form.kind), value);
    if (target === undefined)
      return refused(c, base, "revocations", "Choose what to revoke and give its value.");
    return act(c, base, "revocations", async () => {
      const answer = await read<{ noop?: boolean }>(api, "POST", "/v1/revocations", {
        ...target,
        reason,
      });
      return answer.noop === true ? "unchanged" : "revoked";
    });
  });

  app.post(`${at}/keyrings/:name/:action{rotate|emergency|rollback}`, async (c) => {
    const name = c.req.param("name");
    const action = c.req.param("action");
    if (!isKeyringName(name)) return c.notFound();
    const form = await c.req.parseBody();
    const reason = text(form.reason);
    const page = `keyrings/${name}`;
    if (action === "emergency" && text(form.confirm) !== name)
      return refused(c, base, `${page}/emergency`, `Type ${name} to confirm the emergency.`);
    return act(c, base, page, async () => {
      const keys = `/v1/keyrings/${name}/keys`;
      if (action === "rollback") {
        await read(api, "POST", `${keys}/rollback`, { reason });
        return "rolled-back";
      }
      await read(api, "POST", `${keys}/rotate`, {
        mode: action === "emergency" ? "immediate" : "graceful",
        reason,
      });
      return action === "emergency" ? "emergency" : "rotated";
    });
  });

  app.post(`${at}/keyrings/:name/keys/:kid/reinstate`, async (c) => {
    const name = c.req.param("name");
    if (!isKeyringName(name)) return c.notFound();
    const form = await c.req.parseBody();
    const kid = encodeURIComponent(c.req.param("kid"));
    return act(c, base, `keyrings/${name}`, async () => {
      await read(api, "POST", `/v1/keyrings/${name}/keys/${kid}/reinstate`, {
        reason: text(form.reason),
      });
      return "reinstated";
    });
  });

  return app;
}

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

/** The ops API's body for a revocation the form describes; undefined when it describes none. */
function revocationTarget(kind: string, value: string): Record<string, string> | undefined {
  if (value === "") return undefined;
  switch (kind) {
    case "subject":
      return { sub: value };
    case "family":
      return { family: value };
    case "token":
      return { token: value };
    case "claim": {
      const at = value.indexOf("=");
      return at <= 0 ? undefined : { claim: value.slice(0, at), value: value.slice(at + 1) };
    }
    default:
      return undefined;
  }
}

/** Runs the action: back to `where` with its notice, or the refusal shown. */
async function act(c: Context, base: string, where: string, action: () => Promise<string>) {
  try {
    const done = await action();
    return c.redirect(`${base}/${where}?done=${done}`, 303);
  } catch (error) {
    if (!(error instanceof ApiRefusal)) throw error;
    return refused(
      c,
      base,
      where,
      `The ops API refused: ${error.code}: ${error.message}`,
      error.status,
    );
  }
}

function refused(c: Context, base: string, where: string, message: string, status = 400) {
  return c.html(
    page({
      title: "Not done",
      styling: { href: `${base}/console.css` },
      nav: [{ href: `${base}/${where}`, label: "Back" }],
      body: "",
      error: message,
    }),
    status >= 500 ? 503 : status === 403 ? 403 : 400,
  );
}
