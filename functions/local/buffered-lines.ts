/**
 * Lines for a stream, written together once per turn of the event loop: the local stack logs a
 * line per request, and a write per line cost its server a tenth of its CPU under load (stdout to
 * a pipe or a file is written synchronously). At a person's pace every line is still written
 * within the same turn it was logged in.
 */
export interface BufferedLines {
  readonly line: (text: string) => void;
  /** Writes what is pending now (before the process exits). */
  readonly flush: () => void;
}

export function bufferedLines(write: (chunk: string) => void): BufferedLines {
  let pending = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const chunk = pending;
    pending = "";
    write(chunk);
  };
  return {
    line: (text) => {
      pending += `${text}\n`;
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
    },
    flush,
  };
}
