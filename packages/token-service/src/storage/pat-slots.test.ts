import { describe, expect, it } from "vitest";
import { anyFreeSlot, surveySlots, takenSlots } from "./pat-slots.js";

describe("surveySlots", () => {
  it("when some slots are held then the free ones are the rest of [0, cap), each once", () => {
    const { free, strays } = surveySlots(
      [
        { _id: "a", slot: 0 },
        { _id: "b", slot: 3 },
      ],
      5,
    );
    expect([...free].sort()).toEqual([1, 2, 4]);
    expect(strays).toEqual([]);
  });

  it("when tokens have no slot or one at or above the cap then they are strays and hold no slot", () => {
    const { free, strays } = surveySlots(
      [{ _id: "old" }, { _id: "high", slot: 7 }, { _id: "odd", slot: 1.5 }, { _id: "ok", slot: 1 }],
      3,
    );
    expect([...free].sort()).toEqual([0, 2]);
    expect(strays).toEqual([
      { id: "old", slot: undefined },
      { id: "high", slot: 7 },
      { id: "odd", slot: 1.5 },
    ]);
  });

  it("when every slot is held then none is free", () => {
    expect(
      surveySlots(
        [
          { _id: "a", slot: 1 },
          { _id: "b", slot: 0 },
        ],
        2,
      ).free,
    ).toEqual([]);
  });
});

describe("anyFreeSlot", () => {
  it("when some slots are held then every pick is one of the rest of [0, cap), and picks spread over them", () => {
    const taken = takenSlots(
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
    expect(anyFreeSlot(takenSlots(held, 2), 2)).toBeUndefined();
    expect(anyFreeSlot(takenSlots([...held, { _id: "c", slot: 2 }], 2), 2)).toBeUndefined();
  });

  it("when the slots were remembered under another cap then none is picked, so the slots are read again", () => {
    const taken = takenSlots([{ _id: "a", slot: 0 }], 3);
    expect(anyFreeSlot(taken, 2)).toBeUndefined();
    expect(anyFreeSlot(taken, 4)).toBeUndefined();
  });
});
