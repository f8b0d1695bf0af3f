import { duplicateKeyOf } from "@roster/runtime";
import { DomainError } from "@roster/runtime/domain-error";

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

/**
 * What a process remembers of a user's slots once a survey found no stray: one byte per slot of
 * [0, cap), 1 where a token holds it. The tokens' ids are not needed to pick a slot, and a few
 * bytes per user let a process remember as many users as it holds the access of.
 */
export type TakenSlots = Uint8Array;

export interface SlotSurvey {
  taken: TakenSlots;
  strays: StraySlot[];
}

/** Whether a token's slot is one of [0, cap); any other (none, or past a lowered cap) makes it a stray. */
const inSlots = (slot: number | undefined, cap: number): slot is number =>
  typeof slot === "number" && Number.isInteger(slot) && slot >= 0 && slot < cap;

/**
 * A user's tokens each hold a distinct slot in [0, cap) (a unique index on
 * {userId, slot}), so the database itself refuses the token past the cap.
 */
export function surveySlots(held: readonly HeldSlot[], cap: number): SlotSurvey {
  const taken = new Uint8Array(cap);
  const strays: StraySlot[] = [];
  for (const { _id, slot } of held) {
    if (inSlots(slot, cap)) taken[slot] = 1;
    else strays.push({ id: _id, slot: typeof slot === "number" ? slot : undefined });
  }
  return { taken, strays };
}

/**
 * Up to `count` distinct slots of [0, cap) free in `taken`, from a random place on; none when
 * `taken` was made under another cap. The start only spreads concurrent creates over the free
 * slots, it guards nothing: Math.random is enough, without a list of every free slot or a draw
 * for each, which a shuffle of the slots needed on every first create of a user.
 */
export function freeSlots(taken: TakenSlots, cap: number, count: number): number[] {
  const found: number[] = [];
  if (taken.length !== cap) return found;
  const start = Math.floor(Math.random() * cap);
  for (let i = 0; i < cap && found.length < count; i++) {
    const slot = (start + i) % cap;
    if (taken[slot] === 0) found.push(slot);
  }
  return found;
}

/** A free slot (see `freeSlots`), or undefined when none is free or `taken` was made under another cap. */
export const anyFreeSlot = (taken: TakenSlots, cap: number): number | undefined => freeSlots(taken, cap, 1)[0];

/** How a create reaches the user's tokens; `move` and `insert` throw the database's duplicate-key error for a taken slot. */
export interface SlotStore {
  held(): Promise<HeldSlot[]>;
  move(stray: StraySlot, slot: number): Promise<void>;
  insert(slot: number): Promise<void>;
  /**
   * What this process last knew the user's tokens to hold (a survey that found
   * no strays, with the slots it has taken since, marked in place), or
   * undefined; `remember` replaces it. It only spares a read: the database
   * still refuses a slot taken meanwhile, and a refusal for want of a free slot
   * is always read afresh.
   */
  recall?(): TakenSlots | undefined;
  remember?(taken: TakenSlots | undefined): void;
}

/**
 * Reads of the user's slots per create. Every lost race means another insert
 * for the same user won a slot, so this bounds a create's work, not the cap.
 */
const maxSlotAttempts = 10;

const slotTaken = (err: unknown) => "slot" in (duplicateKeyOf(err)?.keyPattern ?? {});

/**
 * Inserts into a free slot; false when none is free. Strays count against the
 * cap: they take free slots first, and a create proceeds only once none is
 * left outside. A slot lost to a concurrent create means reading again.
 */
export async function insertInFreeSlot(store: SlotStore, cap: number): Promise<boolean> {
  if (await insertInRememberedSlot(store, cap)) return true;
  for (let attempt = 0; attempt < maxSlotAttempts; attempt++) {
    const { taken, strays } = surveySlots(await store.held(), cap);
    const free = freeSlots(taken, cap, Math.max(1, strays.length));
    if (free.length === 0) return false;
    if (strays.length > 0) {
      await Promise.all(
        strays.slice(0, free.length).map((stray, i) => store.move(stray, free[i]!).catch(unlessSlotTaken)),
      );
      continue;
    }
    try {
      await store.insert(free[0]!);
      taken[free[0]!] = 1;
      store.remember?.(taken);
      return true;
    } catch (err) {
      unlessSlotTaken(err);
    }
  }
  throw new DomainError("aborted", {
    reason: "TOKEN_CREATION_CONTENDED",
    message: "too many personal access tokens are being created for this user at once; retry",
  });
}

function unlessSlotTaken(err: unknown): void {
  if (!slotTaken(err)) throw err;
}

/**
 * Inserts into a slot free in what the process remembers of the user, without
 * reading: true when stored, with the slot marked in the memory it came from.
 * False, with the memory dropped, when there is no memory, it shows a stray or
 * no free slot, or the slot was taken meanwhile (the caller then reads the
 * slots afresh); other errors are thrown, the memory dropped too. The memory
 * stays remembered while the insert runs: it only ever gains slots, and a
 * concurrent create that picks the same slot is refused by the database and
 * reads afresh. Forgetting and remembering it again around every create
 * would delete and set the same Map key each time, which a busy user pays for
 * in its key's hash chain.
 */
async function insertInRememberedSlot(store: SlotStore, cap: number): Promise<boolean> {
  const remembered = store.recall?.();
  if (remembered === undefined) return false;
  const slot = anyFreeSlot(remembered, cap);
  if (slot === undefined) {
    store.remember?.(undefined);
    return false;
  }
  try {
    await store.insert(slot);
  } catch (err) {
    store.remember?.(undefined);
    unlessSlotTaken(err);
    return false;
  }
  remembered[slot] = 1;
  return true;
}
