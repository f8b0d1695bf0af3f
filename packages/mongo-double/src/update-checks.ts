import { bsonTypeOf, formatValue, getPath, isNumeric, isPlainObject, type Doc } from "./bson-values.js";
import { CommandError, badValue } from "./errors.js";

export const UPDATE_OPERATORS = new Set([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$push",
  "$pull",
  "$pullAll",
  "$addToSet",
  "$pop",
  "$rename",
  "$currentDate",
  "$setOnInsert",
  "$bit",
]);

const isPositional = (path: string): boolean => /(^|\.)\$(\[[^\]]*\])?(\.|$)/.test(path);

/** Rejects unknown operators and paths two operators would both touch (mongod's 9 and 40). */
export function checkModifier(update: Doc): void {
  const seen: string[] = [];
  for (const [operator, fields] of Object.entries(update)) {
    if (!UPDATE_OPERATORS.has(operator)) {
      throw new CommandError(
        9,
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isPlainObject(fields)) {
      throw new CommandError(
        9,
        `Modifiers operate on fields but we found type ${bsonTypeOf(fields)} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${formatValue(fields)}}`,
      );
    }
    const paths = Object.keys(fields);
    if (operator === "$rename") paths.push(...Object.values(fields).map(String));
    for (const path of paths) {
      if (path === "") throw badValue("An empty update path is not valid.");
      const conflict = seen.find(
        (other) => other === path || other.startsWith(`${path}.`) || path.startsWith(`${other}.`),
      );
      if (conflict !== undefined) {
        throw new CommandError(
          40,
          `Updating the path '${path}' would create a conflict at '${conflict.length < path.length ? conflict : path}'`,
        );
      }
      seen.push(path);
    }
  }
}

const lastSegment = (path: string): string => path.slice(path.lastIndexOf(".") + 1);

/** The field the path would have to be created under when its parent is a scalar (mongod's 28). */
function checkPathViable(doc: Doc, path: string): void {
  const parts = path.split(".");
  let current: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const next: unknown = Array.isArray(current)
      ? current[Number(part)]
      : isPlainObject(current)
        ? current[part]
        : undefined;
    if (next === undefined) return;
    if (!Array.isArray(next) && !isPlainObject(next)) {
      throw new CommandError(28, `Cannot create field '${parts[i + 1]}' in element {${part}: ${formatValue(next)}}`);
    }
    current = next;
  }
}

/** mongod's type errors for operators applied to values of the wrong type. */
export function checkOperandTypes(doc: Doc, update: Doc): void {
  // Only an error message needs it: formatting the id on every update was a measurable share of each.
  const idText = () => `{_id: ${formatValue(doc._id)}}`;
  for (const [operator, fields] of Object.entries(update)) {
    for (const [path, argument] of Object.entries(fields as Doc)) {
      if (isPositional(path)) continue;
      if (operator !== "$unset" && operator !== "$rename") checkPathViable(doc, path);
      const current = getPath(doc, path);
      const type = bsonTypeOf(current);
      switch (operator) {
        case "$inc":
        case "$mul": {
          const verb = operator === "$inc" ? "increment" : "multiply";
          if (!isNumeric(argument))
            throw new CommandError(14, `Cannot ${verb} with non-numeric argument: {${path}: ${formatValue(argument)}}`);
          if (current !== undefined && !isNumeric(current)) {
            throw new CommandError(
              14,
              `Cannot apply ${operator} to a value of non-numeric type. ${idText()} has the field '${lastSegment(path)}' of non-numeric type ${type}`,
            );
          }
          break;
        }
        case "$push":
          if (current !== undefined && !Array.isArray(current)) {
            throw badValue(`The field '${path}' must be an array but is of type ${type} in document ${idText()}`);
          }
          break;
        case "$addToSet":
          if (current !== undefined && !Array.isArray(current)) {
            throw badValue(
              `Cannot apply $addToSet to non-array field. Field named '${lastSegment(path)}' has non-array type ${type}`,
            );
          }
          break;
        case "$pull":
        case "$pullAll":
          if (current !== undefined && !Array.isArray(current))
            throw badValue(`Cannot apply ${operator} to a non-array value`);
          break;
        case "$pop":
          if (current !== undefined && !Array.isArray(current)) {
            throw new CommandError(14, `Path '${path}' contains an element of non-array type '${type}'`);
          }
          break;
      }
    }
  }
}

/** mongod refuses to store an `_id` that is a document with a `$`-prefixed field. */
export function checkIdForStorage(doc: Doc): void {
  const id = doc._id;
  if (!isPlainObject(id)) return;
  const field = Object.keys(id).find((key) => key.startsWith("$"));
  if (field !== undefined)
    throw new CommandError(52, `_id fields may not contain '$'-prefixed fields: ${field} is not valid for storage.`);
}
