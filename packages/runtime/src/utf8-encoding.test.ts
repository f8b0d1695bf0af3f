import { create, toBinary } from "@bufbuild/protobuf";
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import { IntrospectTokenResponseSchema, UserSchema } from "@roster/client";
import { afterEach, describe, expect, it } from "vitest";
import { encodeStringsWithBuffer } from "./utf8-encoding.js";

const standard = getTextEncoding();
afterEach(() => configureTextEncoding(standard));

describe("encodeStringsWithBuffer", () => {
  it("when strings hold any characters, lone surrogates included, then messages encode to the bytes a TextEncoder gives", () => {
    const texts = ["", "roster:users:read", "é", "名前", "😀", "a\ud800b", "\udfff", "\u0000"];
    const messages = texts.map((text) =>
      create(IntrospectTokenResponseSchema, { active: true, scope: text, username: `${text}x`, sub: text }),
    );
    const users = texts.map((text) => create(UserSchema, { id: text, username: `${text}y`, primaryEmail: text }));
    const encodeAll = () => [
      ...messages.map((message) => toBinary(IntrospectTokenResponseSchema, message)),
      ...users.map((user) => toBinary(UserSchema, user)),
    ];
    const before = encodeAll();
    encodeStringsWithBuffer();
    expect(getTextEncoding().encodeUtf8).not.toBe(standard.encodeUtf8);
    expect(encodeAll()).toEqual(before);
  });
});
