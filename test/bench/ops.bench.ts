import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalStack } from "../../functions/local/stack.ts";
import { FileKeyringStore } from "../../shared/keyring-store/file.ts";
import { createSigner } from "../../shared/tokens/signer.ts";
import { type Figure, figure, median } from "./harness.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const ITEMS = 10_000;

/**
 * `keyward revoke-batch` of 10,000 tokens end to end: a CLI process reading the file, chunks to
 * the ops API of the local stack, every token's signature checked, revocations stored; beside the
 * same command with 10,000 `jti:` lines, which skip the token check. Median of 3.
 */
export async function opsBenchmarks(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "keyward-bench-ops-"));
  const stack = await startLocalStack({ port: 0, dir, tickMs: 3_600_000 });
  try {
    const keyring = await new FileKeyringStore(join(dir, "keyring.json")).load();
    if (keyring === undefined) throw new Error("the local stack made no keyring");
    const signer = createSigner();
    const tokens: string[] = [];
    for (let i = 0; i < ITEMS; i++)
      tokens.push(await signer.sign(keyring, { sub: `user-${i}` }, Date.now()));
    const exp = Math.floor(Date.now() / 1000) + 3600;
    // The CLI runs as its own process, asynchronously: this process serves the local stack.
    const run = async (name: string, lines: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, `${lines.join("\n")}\n`);
      const started = performance.now();
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(ROOT, "cli/main.ts"), "revoke-batch", file, "--reason", "bench"],
        {
          cwd: ROOT,
          env: { ...process.env, KEYWARD_URL: stack.url, KEYWARD_LOCAL_DIR: dir },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      const elapsed = performance.now() - started;
      if (code !== 0 || !stdout.startsWith(`${ITEMS} revoked`)) {
        throw new Error(`revoke-batch failed: ${stdout}${stderr.slice(-300)}`);
      }
      return elapsed;
    };
    const withTokens: number[] = [];
    const withJtis: number[] = [];
    for (let round = 0; round < 3; round++) {
      withTokens.push(await run(`tokens-${round}.txt`, tokens));
      withJtis.push(
        await run(
          `jtis-${round}.txt`,
          tokens.map((_, i) => `jti:bench-${round}-${i}:${exp}`),
        ),
      );
    }
    return [
      figure(
        "ops.revoke_batch_10000_tokens",
        median(withTokens),
        "ms",
        "same command, 10,000 jti lines (no token check)",
        median(withJtis),
        "< 5000 ms",
      ),
    ];
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
