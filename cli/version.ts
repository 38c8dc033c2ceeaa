import { createRequire } from "node:module";

/**
 * The package's version. Read at run time from package.json one folder up, which holds both for
 * the sources (cli/) and for the compiled command (dist/).
 */
export const VERSION: string = (
  createRequire(import.meta.url)("../package.json") as { version: string }
).version;
