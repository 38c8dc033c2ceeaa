import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useLocalStack } from "../../support/cli.ts";
import { startProxy } from "../../support/http-proxy.ts";

const local = useLocalStack();

describe("keyward revoke-batch", () => {
  it("counts revoked, already expired and failed items of a batch apart", async () => {
    const file = join(local.dir, "mixed.txt");
    const past = Math.floor(Date.now() / 1000) - 60;
    writeFileSync(file, `sub:mixed-user\njti:spent-${randomUUID()}:${past}\nclaim:=x\n`);
    const run = await local.keyward(["revoke-batch", file, "--reason", "mixed", "--json"]);
    expect(JSON.parse(run.stdout)).toMatchObject({ items: 3, revoked: 1, expired: 1, failed: 1 });
    expect(run.code).toBe(2);
  });

  it("resumes an interrupted revoke-batch where it stopped, says so on Ctrl-C, and asks before resuming with another reason", async () => {
    // A delaying proxy (injected slowness) makes each chunk take long enough to interrupt reliably.
    const slow = await startProxy(local.stack.url);
    slow.setFault({ kind: "delay", ms: 300 });
    const file = join(local.dir, "breach.txt");
    writeFileSync(
      file,
      `${Array.from({ length: 8_000 }, (_, i) => `sub:breached-${i}`).join("\n")}\n`,
    );
    try {
      const first = local.start(["revoke-batch", file, "--reason", "breach"], {
        KEYWARD_URL: slow.url,
      });
      const progressFile = `${file}.keyward-progress`;
      const deadline = Date.now() + 20_000;
      while (!existsSync(progressFile) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      first.child.kill("SIGINT");
      const interrupted = await first.done;
      const saved = JSON.parse(readFileSync(progressFile, "utf8")) as { done: number };
      expect(saved.done).toBeGreaterThanOrEqual(1000);
      expect(saved.done).toBeLessThan(8_000);
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain(
        `interrupted at ${saved.done} of 8000; re-run the same command to resume`,
      );
      expect(existsSync(`${progressFile}.tmp`)).toBe(false);
      // Another reason for the rest would journal it differently: asked, refused without a terminal.
      const otherReason = await local.keyward(["revoke-batch", file, "--reason", "other"], {
        KEYWARD_URL: slow.url,
      });
      expect(otherReason.code).toBe(5);
      expect(otherReason.stderr).toContain('gave the reason "breach"');

      slow.setFault({ kind: "none" });
      const second = await local.keyward(["revoke-batch", file, "--reason", "breach"], {
        KEYWARD_URL: slow.url,
      });
      expect(second.code).toBe(0);
      expect(second.stderr).toContain(`resuming: ${saved.done} of 8000 already done`);
      expect(second.stderr).toContain("8000/8000 (100%)");
      expect(second.stdout).toBe("8000 revoked, 0 already expired (nothing to do), 0 failed\n");
      expect(existsSync(progressFile)).toBe(false);
      for (const sub of ["breached-0", "breached-7999"]) {
        expect(
          JSON.parse((await local.keyward(["check", "--sub", sub, "--json"])).stdout),
        ).toMatchObject({ revoked: true });
      }
    } finally {
      await slow.stop();
    }
  });
});
