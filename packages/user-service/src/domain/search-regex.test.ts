import { describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { escapeRegex, globProblem, globToRegex, maxGlobWildcards, regexProblem } from "./search-regex.js";

/** Straightforward glob matching by dynamic programming: the meaning globToRegex must keep. */
function referenceGlobMatch(glob: string, text: string): boolean {
  const tokens: string[] = [];
  for (let i = 0; i < glob.length; i++)
    tokens.push(
      glob[i] === "\\" && i + 1 < glob.length
        ? `=${glob[++i]}`
        : glob[i] === "*" || glob[i] === "?"
          ? (glob[i] as string)
          : `=${glob[i]}`,
    );
  let reachable = [true, ...text.split("").map(() => false)];
  for (const token of tokens) {
    const next = reachable.map(() => false);
    for (let j = 0; j <= text.length; j++) {
      if (token === "*") next[j] = next[j - 1] === true || reachable[j] === true;
      else if (j > 0 && reachable[j - 1] && (token === "?" || token.slice(1) === text[j - 1])) next[j] = true;
    }
    reachable = next;
  }
  return reachable[text.length] === true;
}

/** A small deterministic generator, so a failing case can be reproduced. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
}

/** Runs a regular expression in a worker and reports whether it answered within `ms`. */
function answersWithin(pattern: string, flags: string, text: string, ms: number): Promise<boolean> {
  const code =
    "const { parentPort, workerData: d } = require('node:worker_threads'); parentPort.postMessage(new RegExp(d.pattern, d.flags).test(d.text));";
  const worker = new Worker(code, { eval: true, workerData: { pattern, flags, text } });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    worker.once("message", () => {
      clearTimeout(timer);
      resolve(true);
    });
  }).finally(() => worker.terminate()) as Promise<boolean>;
}

describe("globToRegex", () => {
  it("when a glob has no wildcard then it matches the whole value only, even before a final newline", () => {
    const pattern = new RegExp(globToRegex("abc"), "s");
    expect(pattern.test("abc")).toBe(true);
    expect(pattern.test("abcd")).toBe(false);
    expect(pattern.test("abc\n")).toBe(false);
  });

  it("when a glob holds regex metacharacters or escapes then they are literal", () => {
    const pattern = new RegExp(globToRegex("a.b\\*(c)"));
    expect(pattern.test("a.b*(c)")).toBe(true);
    expect(pattern.test("axb*(c)")).toBe(false);
    expect(pattern.test("a.bX(c)")).toBe(false);
  });

  it("when globs and values are generated then the translation agrees with a reference matcher on every case", () => {
    const next = random(20_261_129);
    const globAlphabet = ["a", "b", "*", "?", "\\*", "\\?", "."];
    const textAlphabet = ["a", "b", "*", "?", ".", "\n"];
    let matches = 0;
    for (let n = 0; n < 5_000; n++) {
      const glob = Array.from({ length: next(8) }, () => globAlphabet[next(globAlphabet.length)]).join("");
      const text = Array.from({ length: next(10) }, () => textAlphabet[next(textAlphabet.length)]).join("");
      const expected = referenceGlobMatch(glob, text);
      expect({ glob, text, match: new RegExp(globToRegex(glob), "s").test(text) }).toEqual({
        glob,
        text,
        match: expected,
      });
      expect({ glob, text, match: new RegExp(globToRegex(glob), "is").test(text.toUpperCase()) }).toEqual({
        glob,
        text,
        match: expected,
      });
      if (expected) matches++;
    }
    // Both outcomes must be well represented for the comparison to mean anything.
    expect(matches).toBeGreaterThan(500);
    expect(matches).toBeLessThan(4_500);
  });

  it("when a LIKE pattern floods '*' against a long run of one letter then it answers at once", async () => {
    const flood = `${"*a".repeat(maxGlobWildcards - 1)}*b`;
    expect(globProblem(flood)).toBeUndefined();
    expect(await answersWithin(globToRegex(flood), "is", "a".repeat(256), 2_000)).toBe(true);
    expect(await answersWithin(globToRegex(flood), "is", "a".repeat(65_536), 2_000)).toBe(true);
  });

  it("when a glob has more '*' wildcards than allowed then it is refused", () => {
    expect(globProblem("*".repeat(maxGlobWildcards))).toBeUndefined();
    expect(globProblem(`${"*".repeat(maxGlobWildcards)}\\*`)).toBeUndefined();
    expect(globProblem("*".repeat(maxGlobWildcards + 1))).toMatch(/at most 16/);
  });

  it("when text is escaped then it matches only itself", () => {
    expect(new RegExp(`^${escapeRegex("a+b(c)[d]$")}$`).test("a+b(c)[d]$")).toBe(true);
  });
});

describe("regexProblem", () => {
  it.each([
    "^ab+c$",
    "foo|bar",
    "[a-z]+@example\\.com",
    "(ab)+",
    "(a)?b*",
    "x{2,5}",
    "(?:abc)+",
    "[(+)]+",
    "\\(a+\\)+",
  ])("when the pattern is %s then it is accepted", (pattern) => expect(regexProblem(pattern)).toBeUndefined());

  it.each(["(a+)+", "(a*)*", "(a|a)*", "(a|ab)+", "((a+))+", "(x(a|b))*", "(a{2,})+", "(\\d+)*$", "(?:a+)+"])(
    "when the pattern is %s then it is refused as catastrophic",
    (pattern) => expect(regexProblem(pattern)).toMatch(/catastrophic/),
  );

  it("when the pattern uses backreferences or lookaround then it is refused", () => {
    expect(regexProblem("(a)\\1")).toMatch(/backreference/);
    expect(regexProblem("a(?=b)")).toMatch(/lookahead/);
    expect(regexProblem("(?<!a)b")).toMatch(/lookahead/);
  });

  it("when the pattern is invalid, too long or repeats hugely then it is refused", () => {
    expect(regexProblem("(ab")).toMatch(/valid/);
    expect(regexProblem("a".repeat(257))).toMatch(/256/);
    expect(regexProblem("a{1,5000}")).toMatch(/1000/);
    expect(regexProblem(".*a.*b.*c.*d.*e.*f.*g.*h.*i")).toMatch(/unbounded/);
  });
});
