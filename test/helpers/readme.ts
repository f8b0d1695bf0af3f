// The README's code blocks, for the tests that run them as written.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** Code blocks of one language, in order. */
export function blocks(language: string): string[] {
  return [...readme.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] ?? "");
}

/** Every curl command of the shell blocks, continuation lines joined. */
export const readmeCurls = blocks("sh")
  .flatMap((block) => block.replace(/\\\n\s*/g, "").split("\n"))
  .filter((line) => line.startsWith("curl "));
