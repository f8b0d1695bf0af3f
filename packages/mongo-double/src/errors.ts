/** mongod's code names for the error codes the double can raise. */
const CODE_NAMES: Record<number, string> = {
  1: "InternalError",
  2: "BadValue",
  9: "FailedToParse",
  14: "TypeMismatch",
  20: "IllegalOperation",
  26: "NamespaceNotFound",
  27: "IndexNotFound",
  28: "PathNotViable",
  40: "ConflictingUpdateOperators",
  43: "CursorNotFound",
  48: "NamespaceExists",
  50: "MaxTimeMSExpired",
  59: "CommandNotFound",
  66: "ImmutableField",
  67: "CannotCreateIndex",
  72: "InvalidOptions",
  73: "InvalidNamespace",
  85: "IndexOptionsConflict",
  86: "IndexKeySpecsConflict",
  115: "CommandNotSupported",
  168: "InvalidPipelineOperator",
  11000: "DuplicateKey",
  40324: "Location40324",
};

/** An error that becomes an `{ ok: 0, code, codeName, errmsg }` reply or a write error. */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Record<string, unknown>;

  constructor(code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "CommandError";
    this.code = code;
    this.codeName = CODE_NAMES[code] ?? `Location${code}`;
    this.extra = extra;
  }

  /** The fields mongod puts beside `errmsg` in a failed reply or a write error. */
  toReply(): Record<string, unknown> {
    return { errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

export function isCommandError(value: unknown): value is CommandError {
  return value instanceof Error && value.name === "CommandError" && typeof (value as CommandError).code === "number";
}

export const badValue = (message: string): CommandError => new CommandError(2, message);

/**
 * Turns a failure of the query library into mongod's error for the same input, so callers see
 * the same code whichever backend they run on.
 */
export function toCommandError(error: unknown): CommandError {
  if (isCommandError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const unknownQueryOp = /unknown query operator (\$\w+)/.exec(message);
  if (unknownQueryOp) return badValue(`unknown operator: ${unknownQueryOp[1]}`);
  const unknownTopLevel = /unknown top level operator: (\$\w+)/.exec(message);
  if (unknownTopLevel) return badValue(`unknown top level operator: ${unknownTopLevel[1]}`);
  const unknownStage = /unregistered pipeline operator (\$\w+)/.exec(message);
  if (unknownStage) return new CommandError(40324, `Unrecognized pipeline stage name: '${unknownStage[1]}'`);
  const unknownExpr = /accumulator '(\$\w+)' is not registered/.exec(message);
  if (unknownExpr) return new CommandError(168, `Unrecognized expression '${unknownExpr[1]}'`);
  return new CommandError(1, message);
}
