import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import {
  anyFreeSlot,
  freeSlots,
  insertInFreeSlot,
  surveySlots,
  type HeldSlot,
  type SlotStore,
  type TakenSlots,
} from "./pat-slots.js";

/** The slots `held` takes in [0, cap), as a survey remembers them. */
const slotsTaken = (held: readonly HeldSlot[], cap: number) => surveySlots(held, cap).taken;

describe("surveySlots", () => {
  it("when some slots are held then the free ones are the rest of [0, cap), each once", () => {
    const { taken, strays } = surveySlots(
      [
        { _id: "a", slot: 0 },
        { _id: "b", slot: 3 },
      ],
      5,
    );
    expect(freeSlots(taken, 5, 5).sort()).toEqual([1, 2, 4]);
    expect(strays).toEqual([]);
  });

  it("when tokens have no slot or one at or above the cap then they are strays and hold no slot", () => {
    const { taken, strays } = surveySlots(
      [{ _id: "old" }, { _id: "high", slot: 7 }, { _id: "odd", slot: 1.5 }, { _id: "ok", slot: 1 }],
      3,
    );
    expect(freeSlots(taken, 3, 3).sort()).toEqual([0, 2]);
    expect(strays).toEqual([
      { id: "old", slot: undefined },
      { id: "high", slot: 7 },
      { id: "odd", slot: 1.5 },
    ]);
  });

  it("when every slot is held then none is free", () => {
    const { taken } = surveySlots(
      [
        { _id: "a", slot: 1 },
        { _id: "b", slot: 0 },
      ],
      2,
    );
    expect(freeSlots(taken, 2, 2)).toEqual([]);
  });
});

describe("freeSlots", () => {
  it("when more slots are asked for than are free then each free one is given once", () => {
    const taken = slotsTaken([{ _id: "a", slot: 2 }], 4);
    for (let i = 0; i < 50; i++) expect(freeSlots(taken, 4, 10).sort()).toEqual([0, 1, 3]);
  });

  it("when fewer are asked for than are free then that many distinct free ones are given, spread over them", () => {
    const taken = slotsTaken([{ _id: "a", slot: 0 }], 6);
    const firsts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const picked = freeSlots(taken, 6, 2);
      expect(new Set(picked).size).toBe(2);
      for (const slot of picked) expect([1, 2, 3, 4, 5]).toContain(slot);
      firsts.add(picked[0]!);
    }
    expect([...firsts].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("anyFreeSlot", () => {
  it("when some slots are held then every pick is one of the rest of [0, cap), and picks spread over them", () => {
    const taken = slotsTaken(
      [
        { _id: "a", slot: 0 },
        { _id: "b", slot: 3 },
      ],
      5,
    );
    const picks = new Set(Array.from({ length: 200 }, () => anyFreeSlot(taken, 5)));
    expect([...picks].sort()).toEqual([1, 2, 4]);
  });

  it("when every slot is held then none is picked", () => {
    const held = [
      { _id: "a", slot: 1 },
      { _id: "b", slot: 0 },
    ];
    expect(anyFreeSlot(slotsTaken(held, 2), 2)).toBeUndefined();
    expect(anyFreeSlot(slotsTaken([...held, { _id: "c", slot: 2 }], 2), 2)).toBeUndefined();
  });

  it("when the slots were remembered under another cap then none is picked, so the slots are read again", () => {
    const taken = slotsTaken([{ _id: "a", slot: 0 }], 3);
    expect(anyFreeSlot(taken, 2)).toBeUndefined();
    expect(anyFreeSlot(taken, 4)).toBeUndefined();
  });
});

describe("insertInFreeSlot", () => {
  /** A user's slots in memory and in a fake database, with every call to the store written down. */
  function store(held: number[]) {
    const calls: string[] = [];
    const stored = new Set(held);
    let memory: TakenSlots | undefined;
    const slots: SlotStore = {
      async held() {
        calls.push("held");
        return [...stored].map((slot) => ({ _id: `t${slot}`, slot }));
      },
      async move() {
        calls.push("move");
      },
      async insert(slot) {
        calls.push(`insert ${slot}`);
        if (stored.has(slot))
          throw new MongoServerError({
            message: "E11000 duplicate key",
            code: 11000,
            keyPattern: { userId: 1, slot: 1 },
          });
        stored.add(slot);
      },
      recall: () => memory,
      remember(taken) {
        calls.push(taken === undefined ? "forget" : "remember");
        memory = taken;
      },
    };
    return { slots, calls, stored, memory: () => memory };
  }

  it("when the user's slots are remembered then each create inserts without reading, forgetting or remembering again", async () => {
    const { slots, calls, stored, memory } = store([0]);
    expect(await insertInFreeSlot(slots, 10)).toBe(true);
    expect(calls).toEqual(["held", expect.stringMatching(/^insert [1-9]$/), "remember"]);
    const remembered = memory();
    calls.length = 0;
    for (let i = 0; i < 8; i++) expect(await insertInFreeSlot(slots, 10)).toBe(true);
    // The same bytes, marked in place: a busy user's creates never delete and set its entry in the memory's Map.
    expect(calls.every((call) => call.startsWith("insert "))).toBe(true);
    expect(calls).toHaveLength(8);
    expect(memory()).toBe(remembered);
    expect([...memory()!].every((taken) => taken === 1)).toBe(true);
    expect(stored.size).toBe(10);
  });

  it("when the remembered free slot was taken meanwhile then the memory is forgotten and the slots are read afresh", async () => {
    const { slots, calls, stored } = store([0]);
    expect(await insertInFreeSlot(slots, 3)).toBe(true);
    // Another instance takes the last free slot.
    for (const slot of [1, 2]) stored.add(slot);
    calls.length = 0;
    expect(await insertInFreeSlot(slots, 3)).toBe(false);
    expect(calls).toEqual([expect.stringMatching(/^insert [12]$/), "forget", "held"]);
  });
});
