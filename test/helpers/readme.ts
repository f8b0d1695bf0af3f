// The README's code blocks, for the tests that run them as written.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** The ports the README documents, and where this run's services listen instead. */
export interface ReadmePorts {
  user: { grpc: number; http: number };
  token: { grpc: number; http: number };
}

/** The README's documented ports, pointed at this run's services. */
export function localise(text: string, ports: ReadmePorts): string {
  return text
    .replaceAll("127.0.0.1:8051", `127.0.0.1:${ports.user.http}`)
    .replaceAll("127.0.0.1:8052", `127.0.0.1:${ports.token.http}`)
    .replaceAll("127.0.0.1:50051", `127.0.0.1:${ports.user.grpc}`)
    .replaceAll("127.0.0.1:50052", `127.0.0.1:${ports.token.grpc}`);
}

/** Code blocks of one language, in order. */
export function blocks(language: string): string[] {
  return [...readme.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] ?? "");
}

/** The commands of a shell block: continuation lines joined, comment-only and blank lines dropped. */
function commandsOf(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

/** A shell command the README shows with its output: a `sh` block of one command, then a `json` or `text` block. */
export interface TranscriptStep {
  command: string;
  output: { language: "json" | "text"; text: string };
}

const fenced = /```(\w*)\n([\s\S]*?)```/g;

/** Every shell block the README follows with an output block, in order. */
export const readmeTranscript: TranscriptStep[] = (() => {
  const found = [...readme.matchAll(fenced)];
  const steps: TranscriptStep[] = [];
  found.forEach((match, i) => {
    const next = found[i + 1];
    if (match[1] !== "sh" || next === undefined || (next[1] !== "json" && next[1] !== "text")) return;
    if (readme.slice((match.index ?? 0) + match[0].length, next.index).trim() !== "") return;
    const commands = commandsOf(match[2] ?? "");
    if (commands.length !== 1)
      throw new Error(`a shell block followed by its output must hold one command, not: ${commands.join(" / ")}`);
    steps.push({ command: commands[0] ?? "", output: { language: next[1], text: next[2] ?? "" } });
  });
  return steps;
})();

const transcribed = new Set(readmeTranscript.map((step) => step.command));

/** Every command of the shell blocks, continuation lines joined. */
export const readmeCommands = blocks("sh").flatMap(commandsOf);

/** Every curl command of the shell blocks whose output the README does not show (readmeTranscript checks those). */
export const readmeCurls = readmeCommands.filter((line) => line.startsWith("curl ") && !transcribed.has(line));
