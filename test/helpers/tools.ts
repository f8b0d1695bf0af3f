// The real clients the README's examples use, installed under .tools/ by scripts/install-test-tools.sh, which `npm test` runs first.
// A test that needs one fails when it is missing: it never skips.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const toolsBin = fileURLToPath(new URL("../../.tools/bin", import.meta.url));

/** The directory holding grpcurl, to put first on PATH; throws when grpcurl is not installed. */
export function grpcurlDir(): string {
  if (!existsSync(`${toolsBin}/grpcurl`)) {
    throw new Error(
      `grpcurl is not installed in ${toolsBin}: run scripts/install-test-tools.sh, or GOBIN=${toolsBin} go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4`,
    );
  }
  return toolsBin;
}

/**
 * Creates the Python virtual environment in .tools/python (reused while its
 * requirements are unchanged) and generates the client from proto/, as the
 * README's Python section does.
 */
export async function setUpPythonClient(): Promise<void> {
  await run(`${repoRoot}/examples/python/setup.sh`, [], { timeout: 600_000 });
}
