/** Types of build-edge.mjs, for the tests and benchmarks that import it. */
import type { BuildOptions } from "esbuild";
export declare const WORKER_BUILD: BuildOptions & { write: false };
export declare function buildEdge(options?: { minify?: boolean; entry?: string }): Promise<{
  code: string;
  bytes: number;
  gzipBytes: number;
}>;
