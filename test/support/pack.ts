import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The package as `npm pack` makes it, for the consumer projects. */
    tarball: string;
  }
}

const ROOT = new URL("../..", import.meta.url).pathname;

/** Packs the package once (its `prepare` builds every entry point) for every consumer project. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "keyward-pack-"));
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .at(-1) as string;
  const tarball = join(dir, name);
  console.log(`keyward tarball: ${(statSync(tarball).size / 1024).toFixed(0)} kB packed`);
  project.provide("tarball", tarball);
  return () => rmSync(dir, { recursive: true, force: true });
}
