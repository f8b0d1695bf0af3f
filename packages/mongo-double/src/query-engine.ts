import { AsyncLocalStorage } from "node:async_hooks";
import { Context } from "mingo";
import { Aggregator } from "mingo/aggregator";
import * as accumulatorOperators from "mingo/operators/accumulator";
import * as expressionOperators from "mingo/operators/expression";
import * as pipelineOperators from "mingo/operators/pipeline";
import * as projectionOperators from "mingo/operators/projection";
import * as queryOperators from "mingo/operators/query";
import { $eq, $gt, $gte, $in, $lt, $lte, $ne, $nin } from "mingo/operators/query/comparison";
import * as windowOperators from "mingo/operators/window";
import { Lazy, type Iterator } from "mingo/lazy";
import { Query } from "mingo/query";
import type { Options } from "mingo/types";
import { foldDeep, foldFor, sortCollation, type Fold } from "./collation.js";
import { isNumeric, isPlainObject, setField, toNumber, toView, type Doc } from "./bson-values.js";
import { badValue, CommandError, toCommandError } from "./errors.js";
import { projectPlainFields } from "./plain-projection.js";
import { simpleMatcher } from "./simple-filter.js";
import { hasHighUnits, inUtf8Order, sortRecords } from "./sort-order.js";
import { storedOf, type StoredDoc } from "./stored-doc.js";
import { parseTypeArgument, typePredicate, valuesAt } from "./type-query.js";

export type Matcher = (record: StoredDoc) => boolean;

type QueryOp = (selector: string, value: unknown, options: Options) => (o: unknown) => boolean;
type ContextOps = NonNullable<Parameters<typeof Context.init>[0]>;

// mingo's $sort has its own order of values (strings by UTF-16 units, null apart from missing):
// the pipeline sorts in mongod's order, the one find uses.
const $sort = (coll: Iterator, spec: Doc, options: Options): Iterator =>
  coll.transform((items) =>
    Lazy(
      sortRecords(
        items.map((item) => ({ doc: item as Doc, view: item as Doc })),
        spec,
        options.collation,
      ).map((record) => record.view),
    ),
  );

// mingo's convenience classes merge their own operators over any given ones; the base classes
// take the context as it is, so overrides must come with the full operator set.
// mingo's $project puts _id last and fields in the stage's order; mongod keeps the input's order.
const $project = (coll: Iterator, spec: Doc, options: Options): Iterator => {
  try {
    checkProjectionKind(spec);
  } catch (error) {
    const { code, message } = error as CommandError;
    throw new CommandError(code, `Invalid $project :: caused by :: ${message}`);
  }
  return coll.transform((items) => {
    const projected = pipelineOperators.$project(Lazy(items), spec, options).collect<Doc>();
    const computed = computedFields(spec);
    return Lazy(projected.map((doc, i) => inDocumentOrder(doc, items[i], computed)));
  });
};

const contextOf = (overrides: Record<string, QueryOp>): Context =>
  Context.init({
    accumulator: accumulatorOperators as ContextOps["accumulator"],
    expression: expressionOperators as ContextOps["expression"],
    pipeline: { ...pipelineOperators, $sort, $project } as ContextOps["pipeline"],
    projection: projectionOperators as ContextOps["projection"],
    query: { ...queryOperators, ...overrides } as ContextOps["query"],
    window: windowOperators as ContextOps["window"],
  });

// mingo's $type knows neither objectId/binData/timestamp nor int from long: judge the stored form.
const $type: QueryOp = (selector, value) => {
  const predicate = typePredicate(selector, parseTypeArgument(value));
  return (o: unknown) => predicate(storedOf(o));
};

/**
 * mongod's `$mod` argument, checked when the filter is parsed (mingo matched nothing instead):
 * a divisor and a remainder, both numbers, truncated to integers, the divisor not 0.
 */
function modArgument(value: unknown): [number, number] {
  if (!Array.isArray(value)) throw badValue("malformed mod, needs to be an array");
  if (value.length === 0) throw badValue("malformed mod, not enough elements");
  if (!isNumeric(value[0])) throw badValue("malformed mod, divisor not a number");
  if (value.length === 1) throw badValue("malformed mod, not enough elements");
  if (!isNumeric(value[1])) throw badValue("malformed mod, remainder not a number");
  if (value.length > 2) throw badValue("malformed mod, too many elements");
  const [divisor, remainder] = [toNumber(value[0]), toNumber(value[1])].map((n, i) => {
    if (!Number.isFinite(n))
      throw badValue(
        `malformed mod, ${i === 0 ? "divisor" : "remainder"} value is invalid :: caused by :: Unable to coerce NaN/INF to integral type`,
      );
    return Math.trunc(n);
  }) as [number, number];
  if (divisor === 0) throw badValue("divisor cannot be 0");
  return [divisor, remainder];
}

/** `$mod` as mongod matches it: a number (or an array's element) whose integer part leaves the remainder. */
const $mod: QueryOp = (selector, value) => {
  const [divisor, remainder] = modArgument(value);
  const parts = selector.split(".");
  const matches = (x: unknown): boolean =>
    typeof x === "number" && Number.isFinite(x) && Math.trunc(x) % divisor === remainder;
  return (o: unknown) =>
    valuesAt(o, parts).some((found) => matches(found) || (Array.isArray(found) && found.some(matches)));
};

/**
 * mingo orders strings by UTF-16 code units, mongod by UTF-8 bytes. The two differ only where both
 * strings hold a unit at or above U+D800 at the first difference, so a range bound without one
 * compares as it is; one with such units is compared with both sides moved into UTF-8 order.
 */
function inUtf8Range(operator: QueryOp): QueryOp {
  return (selector, value, options) => {
    if (typeof value !== "string" || !hasHighUnits(value)) return operator(selector, value, options);
    const inner = operator(selector, inUtf8Order(value), options);
    return (o: unknown) => inner(foldDeep(o, inUtf8Order));
  };
}

const BASE_CONTEXT = contextOf({
  $type,
  $mod,
  $gt: inUtf8Range($gt as unknown as QueryOp),
  $gte: inUtf8Range($gte as unknown as QueryOp),
  $lt: inUtf8Range($lt as unknown as QueryOp),
  $lte: inUtf8Range($lte as unknown as QueryOp),
});

const COMPARISONS = { $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte } as unknown as Record<string, QueryOp>;

/**
 * mingo applies a collation only when sorting; MongoDB also applies it when comparing. The
 * comparison operators are wrapped to compare folded strings on both sides.
 */
function collatedContext(fold: Fold): Context {
  const cache = new WeakMap<object, unknown>();
  const foldDoc = (o: unknown): unknown => {
    if (o === null || typeof o !== "object") return foldDeep(o, fold);
    let folded = cache.get(o);
    if (folded === undefined) {
      folded = foldDeep(o, fold);
      cache.set(o, folded);
    }
    return folded;
  };
  const query: Record<string, QueryOp> = { $type, $mod };
  for (const [name, operator] of Object.entries(COMPARISONS)) {
    query[name] = (selector, value, options) => {
      const inner = operator(selector, foldDeep(value, fold), options);
      return (o: unknown) => inner(foldDoc(o));
    };
  }
  return contextOf(query);
}

// A command's `let` variables hold for every expression it evaluates, however deep: they travel
// with the command's asynchronous work rather than through every function that compiles a query.
const commandVariables = new AsyncLocalStorage<Doc>();

/** Runs a command with its `let` variables (evaluated once, as mongod does) in scope. */
export function withLetVariables<T>(variables: unknown, run: () => T): T {
  if (variables === undefined) return run();
  if (!isPlainObject(variables))
    throw new CommandError(14, `BSON field 'let' is the wrong type '${typeof variables}', expected type 'object'`);
  const [values] = runPipeline([{ $replaceWith: toView(variables) as Doc }], [{}], queryOptions(undefined)) as Doc[];
  return commandVariables.run(values ?? {}, run);
}

/** Options for mingo that honour a command's collation and `let` variables. */
export function queryOptions(collation: unknown, extra: Partial<Options> = {}): Partial<Options> {
  const fold = foldFor(collation);
  const sortBy = sortCollation(collation);
  const variables = commandVariables.getStore();
  return {
    ...extra,
    ...(variables ? { variables } : {}),
    scriptEnabled: false,
    context: fold ? collatedContext(fold) : BASE_CONTEXT,
    ...(sortBy ? { collation: { ...sortBy, locale: sortBy.locale } as Options["collation"] } : {}),
  };
}

/** Runs an aggregation pipeline (view form) over view documents. */
export function runPipeline(pipeline: Doc[], docs: unknown[], options: Partial<Options>): unknown[] {
  try {
    return new Aggregator(pipeline, options).run(docs);
  } catch (error) {
    throw toCommandError(error);
  }
}

const FIND_OPERATORS = new Set(["$slice", "$elemMatch"]);

/** Whether a projection field computes its value (an expression) rather than selects a stored one. */
const computes = (spec: unknown): boolean =>
  typeof spec === "string" ||
  (isPlainObject(spec) && Object.keys(spec).some((key) => key.startsWith("$") && !FIND_OPERATORS.has(key)));

const computedFields = (projection: Doc): Set<string> =>
  new Set(Object.keys(projection).filter((key) => computes(projection[key])));

/**
 * mongod returns the fields it selects in the stored document's order, whatever order the
 * projection names them in, and appends computed fields after them; the query library follows
 * the projection's order.
 */
function inDocumentOrder(projected: unknown, source: unknown, computed: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(projected) && Array.isArray(source) && projected.length === source.length) {
    return projected.map((item, i) => inDocumentOrder(item, source[i]));
  }
  if (!isPlainObject(projected) || !isPlainObject(source)) return projected;
  const out: Doc = {};
  for (const key of Object.keys(source)) {
    if (Object.hasOwn(projected, key) && !computed.has(key))
      setField(out, key, inDocumentOrder(projected[key], source[key]));
  }
  for (const key of Object.keys(projected)) if (!Object.hasOwn(out, key)) setField(out, key, projected[key]);
  return out;
}

/**
 * Refuses a projection that both includes and excludes fields (other than `_id`) with mongod's
 * code and message, naming the first field that breaks the kind the earlier ones set (mingo's
 * error names none). Nested specs count by their full paths; expressions are left to mingo.
 */
export function checkProjectionKind(spec: Doc): void {
  let inclusion: boolean | undefined;
  const visit = (node: Doc, prefix: string): void => {
    for (const [field, value] of Object.entries(node)) {
      const path = prefix + field;
      if (isPlainObject(value)) {
        if (!Object.keys(value).some((key) => key.startsWith("$"))) visit(value, `${path}.`);
        continue;
      }
      if (path === "_id" || (typeof value !== "boolean" && !isNumeric(value))) continue;
      const includes = typeof value === "boolean" ? value : toNumber(value) !== 0;
      inclusion ??= includes;
      if (includes === inclusion) continue;
      throw includes
        ? new CommandError(31253, `Cannot do inclusion on field ${path} in exclusion projection`)
        : new CommandError(31254, `Cannot do exclusion on field ${path} in inclusion projection`);
    }
  };
  visit(spec, "");
}

/** Applies a find projection. */
export function projectDocs(docs: Doc[], projection: Doc, collation: unknown): Doc[] {
  checkProjectionKind(projection);
  const plain = projectPlainFields(docs, projection);
  if (plain !== undefined) return plain;
  try {
    const projected = new Query({}, queryOptions(collation)).find(docs, projection).all() as Doc[];
    const computed = computedFields(projection);
    return projected.map((doc, i) => inDocumentOrder(doc, docs[i], computed) as Doc);
  } catch (error) {
    throw toCommandError(error);
  }
}

/** The query engine's predicate for a filter (stored form). */
function engineMatcher(condition: Doc, collation: unknown): Matcher {
  try {
    const query = new Query(toView(condition) as Doc, queryOptions(collation));
    return (record) => {
      try {
        return query.test(record.view);
      } catch (error) {
        throw toCommandError(error);
      }
    };
  } catch (error) {
    throw toCommandError(error);
  }
}

/**
 * Compiles a filter (stored form) into a predicate over stored documents: the common simple
 * filters without the query engine, which then compiles only for a document they cannot judge.
 */
export function compileFilter(filter: unknown, collation?: unknown): Matcher {
  const condition = (filter ?? {}) as Doc;
  if (Object.keys(condition).length === 0) return () => true;
  let general: Matcher | undefined;
  const simple = simpleMatcher(condition, collation, () => (general ??= engineMatcher(condition, collation)));
  return simple ?? engineMatcher(condition, collation);
}
