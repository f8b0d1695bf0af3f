/**
 * Makes user-supplied patterns safe to hand to the database: globs become
 * anchored regular expressions, and regular expressions shaped for
 * catastrophic backtracking are refused before they reach the server.
 */

/** Longest pattern accepted; the text fields it runs against are short too. */
export const maxPatternLength = 256;
/** More unbounded quantifiers than this make even linear-looking patterns polynomial. */
const maxUnboundedQuantifiers = 8;
const maxRepeatCount = 1000;

/** Escapes every character a regular expression treats specially. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Most `*` wildcards in one glob; the translation is linear, this keeps its constant small. */
export const maxGlobWildcards = 16;
/** Matches any one character, whatever the flags (PCRE and JavaScript agree on it). */
const anyChar = "[\\s\\S]";
/** End of input in both dialects: PCRE's `$` also matches before a final newline, JavaScript's does not. */
const endOfInput = `(?!${anyChar})`;

/** Splits a glob at its unescaped `*`s into regex fragments (`?` becomes one character, the rest literal). */
function globSegments(glob: string): string[] {
  const segments = [""];
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*") segments.push("");
    else {
      const fragment =
        ch === "\\" && i + 1 < glob.length ? escapeRegex(glob[++i] as string) : ch === "?" ? anyChar : escapeRegex(ch);
      segments[segments.length - 1] += fragment;
    }
  }
  return segments;
}

/** Why a glob is refused, or undefined when it is acceptable. */
export function globProblem(glob: string): string | undefined {
  if (globSegments(glob).length - 1 > maxGlobWildcards) return `must have at most ${maxGlobWildcards} '*' wildcards`;
  return undefined;
}

/**
 * Turns a glob (`*` any run, `?` one character, `\` escapes) into an anchored
 * pattern that cannot backtrack catastrophically. The first segment must start
 * the value and the last must end it; each segment between is matched at its
 * earliest occurrence, inside a lookahead whose capture is then consumed
 * (`(?=([\s\S]*?seg))\1`). Lookaheads are atomic in PCRE and JavaScript
 * alike, so a failure later never retries an earlier segment: the work is
 * O(value length x pattern length). Earliest occurrences are enough for globs,
 * because segments have fixed lengths: an earlier end leaves more room for the
 * rest.
 */
export function globToRegex(glob: string): string {
  const segments = globSegments(glob);
  const first = segments[0] as string;
  if (segments.length === 1) return `^${first}${endOfInput}`;
  const last = segments[segments.length - 1] as string;
  let out = `^${first}`;
  let group = 0;
  for (const middle of segments.slice(1, -1)) {
    if (middle !== "") out += `(?=(${anyChar}*?${middle}))\\${++group}`;
  }
  return last === "" ? out : `${out}${anyChar}*${last}${endOfInput}`;
}

interface GroupState {
  /** A quantifier that can repeat (`*`, `+`, `{n,m}` with m > 1) occurs inside. */
  repeats: boolean;
  alternation: boolean;
}

/** Reads a quantifier at `i`: its length and whether it can match more than once. */
function quantifierAt(
  pattern: string,
  i: number,
): { length: number; repeats: boolean; unbounded: boolean; tooLarge: boolean } | undefined {
  const ch = pattern[i];
  let length = 0;
  let repeats = false;
  let unbounded = false;
  let tooLarge = false;
  if (ch === "*" || ch === "+") [length, repeats, unbounded] = [1, true, true];
  else if (ch === "?") length = 1;
  else if (ch === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    length = m[0].length;
    repeats = max > 1;
    unbounded = max === Infinity;
    tooLarge = min > maxRepeatCount || (max !== Infinity && max > maxRepeatCount);
  } else return undefined;
  // A lazy or possessive suffix does not change what can backtrack.
  if (pattern[i + length] === "?" || pattern[i + length] === "+") length++;
  return { length, repeats, unbounded, tooLarge };
}

/**
 * Why `pattern` is refused, or undefined when it is acceptable: too long,
 * invalid, using backreferences or lookaround (not RE2-compatible), or with a
 * repeated group that itself repeats or alternates, such as `(a+)+` or `(a|a)*`.
 */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > maxPatternLength) return `must be at most ${maxPatternLength} characters`;
  try {
    new RegExp(pattern);
  } catch {
    return "is not a valid regular expression";
  }
  const stack: GroupState[] = [{ repeats: false, alternation: false }];
  let unboundedCount = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    const top = stack[stack.length - 1] as GroupState;
    let closed: GroupState | undefined;
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "must not use backreferences";
      i++;
    } else if (ch === "[") {
      i++;
      if (pattern[i] === "^") i++;
      if (pattern[i] === "]") i++;
      while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
    } else if (ch === "(") {
      if (/^\(\?<?[=!]/.test(pattern.slice(i))) return "must not use lookahead or lookbehind";
      stack.push({ repeats: false, alternation: false });
      continue;
    } else if (ch === ")") {
      closed = stack.pop();
      if (closed === undefined || stack.length === 0) return "is not a valid regular expression";
    } else if (ch === "|") {
      top.alternation = true;
      continue;
    } else {
      const q = quantifierAt(pattern, i);
      if (q !== undefined) {
        if (q.tooLarge) return `must not repeat more than ${maxRepeatCount} times`;
        if (q.unbounded && ++unboundedCount > maxUnboundedQuantifiers) {
          return `must have at most ${maxUnboundedQuantifiers} unbounded quantifiers`;
        }
        if (q.repeats) top.repeats = true;
        i += q.length - 1;
        continue;
      }
    }
    if (closed !== undefined) {
      const parent = stack[stack.length - 1] as GroupState;
      if (quantifierAt(pattern, i + 1)?.repeats === true && (closed.repeats || closed.alternation)) {
        return "is prone to catastrophic backtracking (a repeated group that repeats or alternates inside)";
      }
      parent.repeats ||= closed.repeats;
      parent.alternation ||= closed.alternation;
    }
  }
  return undefined;
}
