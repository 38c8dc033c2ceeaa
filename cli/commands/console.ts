import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createConsoleApp } from "../../console/app.ts";
import { systemClock } from "../../shared/kernel/clock.ts";
import { wholeNumber } from "../arguments.ts";
import { CliError, EXIT } from "../client.ts";
import type { Command } from "../command.ts";

/**
 * `keyward console`: the operator console on 127.0.0.1, over the ops API with this shell's own
 * credentials (the bearer credential, and SigV4 from the AWS variables for a deployed stack): no
 * endpoint is added in AWS, and the page never sees a credential. Its address carries a secret
 * made for this launch; it runs until Ctrl-C.
 */
export const consoleCommand: Command = {
  positionals: [],
  options: ["port", "no-open"],
  synopsis: "console [--port N] [--no-open]",
  summary:
    "serves the operator console on 127.0.0.1 (a free port unless --port), talking to the ops API with your credentials; prints its address (with a secret for this launch) and opens it in the browser when there is one; Ctrl-C stops it",
  examples: ["keyward console", "keyward console --port 8790 --no-open"],
  async run({ values, client }) {
    const port = wholeNumber("port", values.port, 1, 65_535) ?? 0;
    const api = client();
    const secret = randomBytes(32).toString("base64url");
    const app = createConsoleApp({ api, secret, clock: systemClock });
    const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          new CliError(
            EXIT.usage,
            error.code === "EADDRINUSE"
              ? `port ${port} is in use: pass another --port, or none for a free one`
              : `the console could not listen: ${error.message}`,
          ),
        ),
      );
    });
    const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console?k=${secret}`;
    console.log(`keyward console for ${api.url}: ${address}\n(Ctrl-C stops it)`);
    if (values["no-open"] !== true) openInBrowser(address);
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return EXIT.ok;
  },
};

/** The desktop's browser, where there is one; nothing happens (and nothing is said) otherwise. */
function openInBrowser(address: string): void {
  const opener =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  execFile(opener, [address], () => undefined).on("error", () => undefined);
}
