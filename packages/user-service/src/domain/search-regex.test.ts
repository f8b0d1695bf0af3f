import { describe, expect, it } from "vitest";
import { escapeRegex, globToRegex, regexProblem } from "./search-regex.js";

describe("globToRegex", () => {
  it("when a glob has * and ? then they become .* and . and the pattern is anchored", () => {
    expect(globToRegex("a*b?c")).toBe("^a.*b.c$");
  });

  it("when a glob holds regex metacharacters or escapes then they are literal", () => {
    const pattern = new RegExp(globToRegex("a.b\\*(c)"));
    expect(pattern.test("a.b*(c)")).toBe(true);
    expect(pattern.test("axb*(c)")).toBe(false);
    expect(pattern.test("a.bX(c)")).toBe(false);
  });

  it("when text is escaped then it matches only itself", () => {
    expect(new RegExp(`^${escapeRegex("a+b(c)[d]$")}$`).test("a+b(c)[d]$")).toBe(true);
  });
});

describe("regexProblem", () => {
  it.each(["^ab+c$", "foo|bar", "[a-z]+@example\\.com", "(ab)+", "(a)?b*", "x{2,5}", "(?:abc)+", "[(+)]+", "\\(a+\\)+"])(
    "when the pattern is %s then it is accepted",
    (pattern) => expect(regexProblem(pattern)).toBeUndefined(),
  );

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
