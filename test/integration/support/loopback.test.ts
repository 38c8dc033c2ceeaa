import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { listeningSockets, processTree } from "../../support/listening.ts";
import { freePort, startProcess, waitUntilReady } from "../../support/processes.ts";
import { startWorker } from "../../support/workerd.ts";

const LOOPBACK = new Set(["127.0.0.1", "0:0:0:0:0:0:0:1"]);

describe("every service the tests and the local stack start", () => {
  it("listens on the loopback interface only: Redis, its Upstash REST server and moto", () => {
    const { pids } = inject("services");
    const sockets = listeningSockets(pids.flatMap((pid) => processTree(pid)));
    expect(new Set(sockets.map((s) => s.pid)).size).toBe(pids.length);
    expect(sockets.filter((s) => !LOOPBACK.has(s.address))).toEqual([]);
  });

  it("listens on the loopback interface only: the local stack (npm start) and the edge Worker's workerd", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-loopback-"));
    const port = await freePort();
    const stack = startProcess(
      "local stack",
      process.execPath,
      ["--import", "tsx", "functions/local/main.ts"],
      {
        PORT: String(port),
        KEYWARD_LOCAL_DIR: dir,
      },
    );
    const worker = await startWorker({ KEYWARD_ORIGIN: "http://127.0.0.1:9" });
    try {
      await waitUntilReady(
        stack,
        async () => (await fetch(`http://127.0.0.1:${port}/v1/health`)).ok,
      );
      const sockets = listeningSockets(
        processTree(process.pid).concat(processTree(stack.child.pid ?? 0)),
      );
      expect(sockets.some((s) => s.port === port)).toBe(true);
      expect(sockets.length).toBeGreaterThan(1);
      expect(sockets.filter((s) => !LOOPBACK.has(s.address))).toEqual([]);
    } finally {
      await Promise.all([stack.stop(), worker.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
