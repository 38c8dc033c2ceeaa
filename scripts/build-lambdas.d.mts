/** Types of build-lambdas.mjs, for the tests that import it. */
export declare const LAMBDAS: readonly string[];
export declare function buildLambdas(): Promise<void>;
