import type { OperationDeps } from "../../shared/operations/deps.ts";

/**
 * Fault injection for crash tests: the deps of a process that dies at its `crashAt`-th store write
 * (0 = the first). From then on every call throws, reads too, as nothing runs after a crash. No
 * real store can be made to crash the caller between two writes; the stores underneath are real
 * (the in-memory ones of the unit suite), so the next process sees what was written.
 */
export function crashingDeps(deps: OperationDeps, crashAt: number) {
  const state = { writes: 0, crashed: false };
  const guard =
    <A extends unknown[], R>(write: boolean, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (state.crashed) throw new Error("injected crash: the process is gone");
      if (write && state.writes++ === crashAt) {
        state.crashed = true;
        throw new Error("injected crash");
      }
      return call(...args);
    };
  const { audit, keyrings, revocations, events } = deps;
  const wrapped: OperationDeps = {
    ...deps,
    audit: {
      append: guard(true, (e) => audit.append(e)),
      read: guard(false, (o) => audit.read(o)),
      intend: guard(true, (c) => audit.intend(c)),
      settle: guard(true, (id) => audit.settle(id)),
      unsettled: guard(false, () => audit.unsettled()),
    },
    keyrings: {
      load: guard(false, () => keyrings.load()),
      loadPrevious: guard(false, () => keyrings.loadPrevious()),
      save: guard(true, (k) => keyrings.save(k)),
    },
    revocations: {
      check: guard(false, (f) => revocations.check(f)),
      revoke: guard(true, (t, n) => revocations.revoke(t, n)),
    },
    events: { publish: guard(true, (e) => events.publish(e)) },
  };
  return { deps: wrapped, state };
}
