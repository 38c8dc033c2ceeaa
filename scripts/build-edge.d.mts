/** Types of build-edge.mjs, for the tests and benchmarks that import it. */
export declare function buildEdge(options?: { minify?: boolean }): Promise<{
  code: string;
  bytes: number;
  gzipBytes: number;
}>;
