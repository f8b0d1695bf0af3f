import { describe, expect, it } from "vitest";
import { surveySlots } from "./pat-slots.js";

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
