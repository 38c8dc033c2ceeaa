/**
 * A progress bar on stderr for long operations (a batch, a simulation): redrawn in place on a
 * terminal, one line per tenth otherwise; nothing with `quiet` (`--json`).
 */
export function progressBar(total: number, quiet: boolean): (done: number) => void {
  if (quiet) return () => undefined;
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (done) => {
    const share = total === 0 ? 1 : done / total;
    const tenth = Math.floor(share * 10);
    if (!tty && tenth === shown) return;
    shown = tenth;
    const bar = `[${"#".repeat(Math.round(share * 30)).padEnd(30, "-")}] ${done}/${total} (${Math.floor(share * 100)}%)`;
    process.stderr.write(tty ? `\r${bar}${done === total ? "\n" : ""}` : `${bar}\n`);
  };
}
