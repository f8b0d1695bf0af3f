import { ConnectError, Code } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "@roster/client/contract";
import { h } from "./dom.js";

/** The parts of a failed call the console shows: code, stable reason, and the fields at fault. */
export interface Refusal {
  code: string;
  reason: string;
  message: string;
  fields: { field: string; description: string }[];
}

export function refusalOf(err: unknown): Refusal {
  const error = ConnectError.from(err);
  const reason = error.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
  const fields = error
    .findDetails(BadRequestSchema)
    .flatMap((bad) => bad.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  // The canonical gRPC name (INVALID_ARGUMENT), as grpcurl and the docs spell it.
  const code = (Code[error.code] ?? String(error.code)).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  return { code, reason, message: error.rawMessage, fields };
}

/** A refusal made in the page, before any call: shown exactly as the services' own INVALID_ARGUMENT. */
export function invalidField(field: string, description: string): ConnectError {
  return new ConnectError(`${field}: ${description}`, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field, description }] } },
  ]);
}

/** A form-level error line; placed at the top of each form. */
export function errorSlot(): HTMLElement {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

export function clearErrors(scope: HTMLElement): void {
  for (const slot of scope.querySelectorAll<HTMLElement>(".field-error")) slot.textContent = "";
  for (const control of scope.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  const formError = scope.querySelector<HTMLElement>(".form-error");
  if (formError !== null) {
    formError.textContent = "";
    formError.hidden = true;
  }
}

/**
 * Shows a refusal inside `scope`: each field violation beside the field of that
 * name (`data-field`, the proto field name), the rest with its reason at the top.
 */
export function showError(scope: HTMLElement, err: unknown): Refusal {
  clearErrors(scope);
  const refusal = refusalOf(err);
  const unplaced: string[] = [];
  for (const { field, description } of refusal.fields) {
    // A violation names a field path ("filter.text.value"); the form names its controls by the proto field.
    const segments = field.split(/[.[\]]/).filter((s) => s !== "" && !/^\d+$/.test(s));
    const holder =
      [field, segments.at(-1), segments[0]]
        .map((name) =>
          name === undefined ? null : scope.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`),
        )
        .find((el) => el !== null) ?? null;
    const slot = holder?.querySelector<HTMLElement>(".field-error");
    if (holder === null || slot === null || slot === undefined) {
      unplaced.push(`${field}: ${description}`);
      continue;
    }
    slot.textContent = slot.textContent === "" ? description : `${slot.textContent}; ${description}`;
    holder.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  }
  const formError = scope.querySelector<HTMLElement>(".form-error");
  if (formError !== null) {
    const head = refusal.reason !== "" ? `${refusal.reason} (${refusal.code})` : refusal.code;
    formError.textContent = [`${head}: ${refusal.message}`, ...unplaced].join(" — ");
    formError.dataset.reason = refusal.reason;
    formError.hidden = false;
  }
  return refusal;
}

/** Runs `action` for a form, showing any refusal inside it; resolves true on success. */
export async function attempt(scope: HTMLElement, action: () => Promise<unknown>): Promise<boolean> {
  clearErrors(scope);
  try {
    await action();
    return true;
  } catch (err) {
    showError(scope, err);
    return false;
  }
}
