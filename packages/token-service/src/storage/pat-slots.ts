import { randomInt } from "node:crypto";

/** What a user's tokens occupy, as the slot read of a create sees it. */
export interface HeldSlot {
  _id: string;
  slot?: number;
}

/** A token outside the slots [0, cap): stored before slots existed, or above a cap that was since lowered. */
export interface StraySlot {
  id: string;
  slot: number | undefined;
}

export interface SlotSurvey {
  /** Free slots in [0, cap), in random order so concurrent creates rarely pick the same one. */
  free: number[];
  strays: StraySlot[];
}

/**
 * A user's tokens each hold a distinct slot in [0, cap) (a unique index on
 * {userId, slot}), so the database itself refuses the token past the cap.
 */
export function surveySlots(held: readonly HeldSlot[], cap: number): SlotSurvey {
  const taken = new Set<number>();
  const strays: StraySlot[] = [];
  for (const { _id, slot } of held) {
    if (typeof slot === "number" && Number.isInteger(slot) && slot >= 0 && slot < cap) taken.add(slot);
    else strays.push({ id: _id, slot: typeof slot === "number" ? slot : undefined });
  }
  const free: number[] = [];
  for (let slot = 0; slot < cap; slot++) if (!taken.has(slot)) free.push(slot);
  for (let i = free.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [free[i], free[j]] = [free[j]!, free[i]!];
  }
  return { free, strays };
}
