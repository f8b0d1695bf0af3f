// A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise.
const width = 30;

export function progressBar(label, total) {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  const draw = (done) => {
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}`;
    if (tty) {
      process.stderr.write(`\r${line}${done >= total ? "\n" : ""}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      process.stderr.write(`${line}\n`);
    }
  };
  draw(0);
  return { update: draw };
}
